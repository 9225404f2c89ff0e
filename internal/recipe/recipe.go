// Package recipe models a Co-op Cloud recipe as abra reads it: the compose
// files chosen by COMPOSE_FILE in .env.sample, the env with abra.sh's config
// version exports merged in, versions from git tags, and the labels we act
// on (traefik, backupbot, coop-cloud). Nothing from the recipe is executed.
package recipe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	envSampleFile      = ".env.sample"
	abraShFile         = "abra.sh"
	defaultComposeFile = "compose.yml"
)

// Recipe is a recipe's files as found at one ref, before a domain is chosen.
type Recipe struct {
	Name         string    `json:"name"`
	Dir          string    `json:"dir"`
	Location     string    `json:"location,omitempty"`
	Ref          string    `json:"ref,omitempty"`
	Commit       string    `json:"commit,omitempty"`
	ComposeFiles []string  `json:"compose_files"`
	Env          *EnvFile  `json:"env"`
	AbraSh       *AbraSh   `json:"abra_sh,omitempty"`
	Versions     []Version `json:"versions"`
	// HistoryWarning says why the releases may be missing: a shallow
	// checkout whose tags could not be fetched. "" when nothing is hidden.
	HistoryWarning string `json:"history_warning,omitempty"`
}

// Open fetches a recipe from a folder or git URL at ref (see Fetch) into
// workDir when it must be cloned, and loads it with its versions.
func Open(ctx context.Context, location, ref, workDir string) (*Recipe, error) {
	src, err := Fetch(ctx, location, ref, workDir)
	if err != nil {
		return nil, err
	}
	r, err := LoadDir(src.Dir)
	if err != nil {
		return nil, err
	}
	r.Location, r.Ref, r.Commit = src.Location, ref, src.Commit // Location without URL credentials
	r.HistoryWarning = src.HistoryWarning
	if src.IsGit {
		if r.Versions, err = ListVersions(src.Dir); err != nil {
			return nil, fmt.Errorf("recipe %s: versions: %w", r.Name, err)
		}
	}
	if r.Name == "" {
		r.Name = nameFromLocation(location)
	}
	return r, nil
}

// LoadDir reads a recipe's own files from dir: .env.sample (required),
// abra.sh (optional) and the compose files COMPOSE_FILE names, which must
// exist. It does not interpolate compose files; see Resolve.
func LoadDir(dir string) (*Recipe, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("recipe folder %s: %w", dir, err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, &ConfigError{File: dir, Msg: "is not a recipe folder (it does not exist or is not a directory)"}
	}
	data, err := readFile(abs, envSampleFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &ConfigError{File: filepath.Join(dir, envSampleFile), Msg: "missing: every recipe needs a .env.sample that sets TYPE, DOMAIN and COMPOSE_FILE"}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", envSampleFile, err)
	}
	env, err := ParseEnv(envSampleFile, data)
	if err != nil {
		return nil, err
	}
	r := &Recipe{Dir: abs, Env: env}
	if v, ok := env.Lookup("TYPE"); ok && v.Value != "" {
		r.Name = v.Value
	} else {
		r.Name = nameFromLocation(abs)
	}
	if data, err := readFile(abs, abraShFile); err == nil {
		if r.AbraSh, err = ParseAbraSh(abraShFile, data); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", abraShFile, err)
	}
	if r.ComposeFiles, err = composeFiles(abs, env); err != nil {
		return nil, err
	}
	return r, nil
}

// Set applies env-file assignments on top of .env.sample, as an operator
// editing the app's env would: `COMPOSE_FILE="$COMPOSE_FILE:compose.x.yml"`
// enables an overlay, `SECRET_X_VERSION=v2` bumps a secret. source names
// where they came from in errors (a flag, recipe.toml).
func (r *Recipe) Set(source string, assignments ...string) error {
	extra, err := parseEnvAfter(source, []byte(strings.Join(assignments, "\n")), r.Env.Map())
	if err != nil {
		return err
	}
	r.Env.Vars = append(r.Env.Vars, extra.Vars...)
	files, err := composeFiles(r.Dir, r.Env)
	if err != nil {
		return err
	}
	r.ComposeFiles = files
	return nil
}

// composeFiles splits COMPOSE_FILE (default compose.yml) and checks each
// named file exists inside the recipe.
func composeFiles(dir string, env *EnvFile) ([]string, error) {
	v, ok := env.Lookup("COMPOSE_FILE")
	if !ok || strings.TrimSpace(v.Value) == "" {
		v = EnvVar{Name: "COMPOSE_FILE", Value: defaultComposeFile}
	}
	var files []string
	seen := map[string]bool{}
	for _, f := range strings.Split(v.Value, ":") {
		f = strings.TrimSpace(f)
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		clean := filepath.Clean(f)
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return nil, &ConfigError{File: env.File, Line: v.Line, Key: "COMPOSE_FILE", Msg: fmt.Sprintf("names %q, which is outside the recipe", f)}
		}
		if _, err := os.Stat(filepath.Join(dir, clean)); err != nil {
			return nil, &ConfigError{File: env.File, Line: v.Line, Key: "COMPOSE_FILE", Msg: fmt.Sprintf("names %s, which does not exist in the recipe", f)}
		}
		files = append(files, clean)
	}
	return files, nil
}

func nameFromLocation(loc string) string {
	loc = strings.TrimRight(loc, "/")
	base := loc[strings.LastIndexAny(loc, "/:")+1:]
	return strings.TrimSuffix(base, ".git")
}
