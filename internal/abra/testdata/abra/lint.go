package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// lintRule is one of abra's recipe lint rules: its reference, description,
// level and how to resolve it. check returns satisfied, or skipped when it
// cannot be checked here (no network).
type lintRule struct {
	ref, desc, level, resolve string
	check                     func(*lintInput) (satisfied, skipped bool)
}

type lintInput struct {
	dir      string
	services map[string]composeService
	configs  map[string]struct {
		Name string `yaml:"name"`
	}
	versions []string
	secrets  []string // secret keys of the compose files
}

type composeService struct {
	Image       string         `yaml:"image"`
	Healthcheck map[string]any `yaml:"healthcheck"`
	Deploy      struct {
		Labels any `yaml:"labels"`
	} `yaml:"deploy"`
}

func offline(*lintInput) (bool, bool) { return false, true }

var lintRules = []lintRule{
	{"R001", "compose config has expected version", "warn", "ensure 'version: \"3.8\"' in compose configs", func(in *lintInput) (bool, bool) {
		for _, v := range in.versions {
			if v != "3.8" {
				return false, false
			}
		}
		return true, false
	}},
	{"R002", "healthcheck enabled for all services", "warn", "wire up healthchecks", func(in *lintInput) (bool, bool) {
		for _, s := range in.services {
			if s.Healthcheck == nil {
				return false, false
			}
		}
		return true, false
	}},
	{"R003", "all images use a tag", "warn", "use a tag for all images", func(in *lintInput) (bool, bool) {
		for _, s := range in.services {
			if s.Image != "" && !strings.Contains(s.Image[strings.LastIndex(s.Image, "/")+1:], ":") {
				return false, false
			}
		}
		return true, false
	}},
	{"R004", "no unstable tags", "warn", "no 'latest' tags for images", func(in *lintInput) (bool, bool) {
		for _, s := range in.services {
			if strings.HasSuffix(s.Image, ":latest") {
				return false, false
			}
		}
		return true, false
	}},
	{"R006", "has published catalogue version", "warn", "publish a recipe version to the catalogue", offline},
	{"R008", ".env.sample provided", "error", "create an example .env.sample", func(in *lintInput) (bool, bool) {
		_, err := os.Stat(filepath.Join(in.dir, ".env.sample"))
		return err == nil, false
	}},
	{"R009", "one service named 'app'", "error", "name a service 'app'", func(in *lintInput) (bool, bool) {
		_, ok := in.services["app"]
		return ok, false
	}},
	{"R010", "traefik routing enabled", "error", "include \"traefik.enable=true\" deploy label", func(in *lintInput) (bool, bool) {
		for _, s := range in.services {
			if hasLabel(s.Deploy.Labels, "traefik.enable", "true") {
				return true, false
			}
		}
		return false, false
	}},
	{"R011", "all services have images", "error", "ensure \"image\" field is set in all services", func(in *lintInput) (bool, bool) {
		for _, s := range in.services {
			if s.Image == "" {
				return false, false
			}
		}
		return true, false
	}},
	{"R012", "config version are vendored", "error", "vendor config versions in an abra.sh", func(in *lintInput) (bool, bool) {
		exports := abraShExports(in.dir)
		for _, c := range in.configs {
			m := regexp.MustCompile(`\$\{?([A-Z0-9_]+_VERSION)\}?`).FindStringSubmatch(c.Name)
			if m == nil || exports[m[1]] == "" {
				return false, false
			}
		}
		return true, false
	}},
	{"R013", "git.coopcloud.tech repo exists", "warn", "upload your recipe to git.coopcloud.tech/coop-cloud/...", offline},
}

func hasLabel(labels any, key, value string) bool {
	switch l := labels.(type) {
	case []any:
		for _, e := range l {
			if fmt.Sprint(e) == key+"="+value {
				return true
			}
		}
	case map[string]any:
		return fmt.Sprint(l[key]) == value
	}
	return false
}

// abra recipe lint <recipe>
func recipeLint(c *cli, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no recipe name provided")
	}
	name := args[0]
	in := &lintInput{dir: c.recipeDir(name), services: map[string]composeService{}}
	env, _, err := readEnv(filepath.Join(in.dir, ".env.sample"))
	if err != nil {
		return fmt.Errorf("unable to read recipe %s: %w", name, err)
	}
	files := (&app{env: env}).composeFiles()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(in.dir, f))
		if err != nil {
			return fmt.Errorf("unable to read %s: %w", f, err)
		}
		var cf struct {
			Version  string                    `yaml:"version"`
			Services map[string]composeService `yaml:"services"`
			Configs  map[string]struct {
				Name string `yaml:"name"`
			} `yaml:"configs"`
		}
		if err := yaml.Unmarshal(data, &cf); err != nil {
			return fmt.Errorf("unable to parse %s: %w", f, err)
		}
		in.versions = append(in.versions, cf.Version)
		for k, s := range cf.Services {
			prev := in.services[k]
			if s.Image == "" {
				s.Image = prev.Image
			}
			if s.Healthcheck == nil {
				s.Healthcheck = prev.Healthcheck
			}
			if s.Deploy.Labels == nil {
				s.Deploy.Labels = prev.Deploy.Labels
			}
			in.services[k] = s
		}
		if in.configs == nil {
			in.configs = cf.Configs
		} else {
			for k, v := range cf.Configs {
				in.configs[k] = v
			}
		}
	}
	var rows [][]string
	critical := false
	for _, r := range lintRules {
		satisfied, skipped := r.check(in)
		sat, skip := "✅", "-"
		if skipped {
			sat, skip = "-", "✅"
		} else if !satisfied {
			sat = "❌"
			critical = critical || r.level == "error"
		}
		rows = append(rows, []string{r.ref, r.desc, r.level, sat, skip, r.resolve})
	}
	table([]string{"ref", "rule", "severity", "satisfied", "skipped", "resolve"}, rows)
	if critical {
		warn("critical errors present in %s config", name)
	}
	return nil
}
