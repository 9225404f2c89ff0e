package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// app is an app abra knows: $ABRA_DIR/servers/<server>/<domain>.env.
type app struct {
	domain, server, envFile string
	env                     map[string]string
	mods                    map[string]map[string]string // trailing-comment modifiers by name
	recipe                  string
}

// stack is the stack name abra derives from a domain.
func stackName(domain string) string {
	s := strings.ReplaceAll(domain, ".", "_")
	if len(s) > 45 {
		s = s[:45]
	}
	return s
}

func (a *app) stack() string { return stackName(a.domain) }

func (c *cli) recipeDir(name string) string { return filepath.Join(c.abraDir, "recipes", name) }

// findApp finds the env file of domain on any server.
func (c *cli) findApp(domain string) (*app, error) {
	if domain == "" {
		return nil, fmt.Errorf("no app provided")
	}
	matches, _ := filepath.Glob(filepath.Join(c.abraDir, "servers", "*", domain+".env"))
	if len(matches) == 0 {
		return nil, fmt.Errorf("cannot find app with name %s", domain)
	}
	a := &app{domain: domain, envFile: matches[0], server: filepath.Base(filepath.Dir(matches[0]))}
	var err error
	if a.env, a.mods, err = readEnv(a.envFile); err != nil {
		return nil, err
	}
	a.recipe = a.env["RECIPE"]
	if a.recipe == "" {
		a.recipe = a.env["TYPE"]
	}
	if a.recipe == "" {
		return nil, fmt.Errorf("%s: no RECIPE (or TYPE) set", a.envFile)
	}
	return a, nil
}

var assignRe = regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// readEnv reads an env file: KEY=value lines, values unquoted (a " #"
// starts a comment whose key=value words are modifiers), 'single' or
// "double" quoted; $VAR and ${VAR} in unquoted and double-quoted values
// expand earlier assignments.
func readEnv(file string) (map[string]string, map[string]map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	env, mods := map[string]string{}, map[string]map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		m := assignRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, v := m[1], m[2]
		comment := ""
		switch {
		case strings.HasPrefix(v, "'"):
			end := strings.Index(v[1:], "'")
			if end >= 0 {
				comment, v = v[end+2:], v[1:end+1]
			}
		case strings.HasPrefix(v, `"`):
			end := strings.Index(v[1:], `"`)
			if end >= 0 {
				comment, v = v[end+2:], os.Expand(v[1:end+1], func(k string) string { return env[k] })
			}
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				comment, v = v[i:], v[:i]
			}
			v = os.Expand(strings.TrimSpace(v), func(k string) string { return env[k] })
		}
		env[name] = v
		if c := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(comment), "#")); c != "" {
			mods[name] = map[string]string{}
			for _, w := range strings.Fields(c) {
				if k, val, ok := strings.Cut(w, "="); ok {
					mods[name][k] = val
				}
			}
		}
	}
	return env, mods, sc.Err()
}

// abraShExports reads the `export NAME=value` lines of a recipe's abra.sh,
// which abra merges into the app's env (config versions).
func abraShExports(dir string) map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(filepath.Join(dir, "abra.sh"))
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(data), "\n") {
		if m := regexp.MustCompile(`^export\s+([A-Za-z_][A-Za-z0-9_]*)=(\S*)$`).FindStringSubmatch(l); m != nil {
			out[m[1]] = strings.Trim(m[2], `"'`)
		}
	}
	return out
}

// deployEnv is the environment a deploy interpolates the compose files
// with: the process's, abra.sh's exports, the app's env, STACK_NAME.
func (c *cli) deployEnv(a *app) []string {
	env := os.Environ()
	for k, v := range abraShExports(c.recipeDir(a.recipe)) {
		env = append(env, k+"="+v)
	}
	for _, k := range sortedKeys(a.env) {
		env = append(env, k+"="+a.env[k])
	}
	return append(env, "STACK_NAME="+a.stack())
}

func (a *app) composeFiles() []string {
	files := strings.Split(a.env["COMPOSE_FILE"], ":")
	if a.env["COMPOSE_FILE"] == "" {
		files = []string{"compose.yml"}
	}
	return files
}

// docker runs the docker CLI, its output passed through.
func docker(dir string, env []string, stdin string, args ...string) error {
	cmd := exec.Command("docker", args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// dockerList runs a docker listing and returns its non-empty lines.
func dockerList(args ...string) ([]string, error) {
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("docker %s: %w", strings.Join(args, " "), err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

func (a *app) deployed() (bool, error) {
	svcs, err := dockerList("service", "ls", "-q", "--filter", "label=com.docker.stack.namespace="+a.stack())
	return len(svcs) > 0, err
}
