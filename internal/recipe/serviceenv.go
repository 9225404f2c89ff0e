package recipe

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/docker/cli/cli/compose/template"
	"github.com/docker/cli/pkg/kvfile"
)

// inlineEnvFiles replaces each service's env_file in one compose file's
// parsed YAML with the assignments it holds, merged under the service's
// own environment (which wins, as in Docker).
//
// Why not let Docker's loader read them: it looks a key-only line (`TOKEN`)
// up in recipe-test's own process environment (os.LookupEnv), so a recipe
// could copy the runner's forge token into its container. Here a key-only
// line is looked up in the app's env alone (.env.sample, --env, recipe.toml's
// [env], what recipe-test generates), like every other interpolation. Each
// file must stay inside the recipe after symlinks (see insideRecipe).
//
// The values are written with `$` doubled: the loader interpolates the
// environment afterwards, and an env file's values are literal in Docker.
func inlineEnvFiles(dir, composeFile string, dict map[string]any, env map[string]string) error {
	services, _ := dict["services"].(map[string]any)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, name := range sortedKeys(services) {
		svc, _ := services[name].(map[string]any)
		raw, ok := svc["env_file"]
		if !ok {
			continue
		}
		key := "services." + name + ".env_file"
		files, err := envFileList(raw)
		if err != nil {
			return &ConfigError{File: composeFile, Key: key, Msg: err.Error()}
		}
		fromFiles := map[string]string{}
		for _, f := range files {
			vars, err := readServiceEnvFile(dir, f, lookup)
			if err != nil {
				return &ConfigError{File: composeFile, Key: key, Msg: err.Error()}
			}
			for _, kv := range vars { // a later file wins, as in Docker
				k, v, _ := strings.Cut(kv, "=")
				fromFiles[k] = v
			}
		}
		own, err := environmentMap(svc["environment"])
		if err != nil {
			return &ConfigError{File: composeFile, Key: "services." + name + ".environment", Msg: err.Error()}
		}
		for k, v := range fromFiles {
			if _, set := own[k]; !set {
				own[k] = strings.ReplaceAll(v, "$", "$$")
			}
		}
		svc["environment"] = own
		delete(svc, "env_file")
	}
	return nil
}

// envFileList reads env_file's string or list form, interpolation left to
// the caller.
func envFileList(raw any) ([]string, error) {
	switch v := raw.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("entries must be file names, not %T", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("must be a file name or a list of them, not %T", raw)
}

// readServiceEnvFile interpolates an env_file entry with the app's env,
// checks the file stays in the recipe and parses it with Docker's own
// env-file syntax, looking key-only lines up with lookup.
func readServiceEnvFile(dir, entry string, lookup func(string) (string, bool)) ([]string, error) {
	name, err := template.Substitute(entry, lookup)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", entry, err)
	}
	rel, err := insideRecipe(dir, name)
	if err != nil {
		return nil, err
	}
	data, err := readFile(dir, rel)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	vars, err := kvfile.ParseFromReader(bytes.NewReader(data), lookup)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	return vars, nil
}

// environmentMap turns a service's environment (a list of KEY=VALUE / KEY,
// or a mapping) into the mapping form, values untouched.
func environmentMap(raw any) (map[string]any, error) {
	out := map[string]any{}
	switch v := raw.(type) {
	case nil:
	case map[string]any:
		for k, val := range v {
			out[k] = val
		}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("list entries must be KEY=VALUE strings, not %T", e)
			}
			if k, val, hasValue := strings.Cut(s, "="); hasValue {
				out[k] = val
			} else {
				out[k] = nil
			}
		}
	default:
		return nil, fmt.Errorf("must be a list or a mapping, not %T", raw)
	}
	return out, nil
}
