package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

// runInputs reads the action inputs that mirror run's flags of the same
// names (env, upgrade-from, probe-path, probe-status, connect-to, ca-file,
// insecure, entrypoint-port, node, retain, budget) into o, so that a workflow has every
// choice the CLI has. A bad value is an error naming the input.
func runInputs(in func(string) string, o *runner.Options) error {
	o.Source.UpgradeFrom = strings.TrimSpace(in("upgrade-from"))
	o.Ingress.Probe.Path = strings.TrimSpace(in("probe-path"))
	o.Ingress.Traefik.ConnectTo = strings.TrimSpace(in("connect-to"))
	o.Ingress.Traefik.CAFile = strings.TrimSpace(in("ca-file"))
	env, err := envInput(in("env"))
	if err != nil {
		return err
	}
	o.Deploy.Env = env
	statuses, err := intList(in("probe-status"))
	if err != nil {
		return fmt.Errorf("input probe-status: %w", err)
	}
	o.Ingress.Probe.Statuses = statuses
	if o.Ingress.Traefik.EntrypointPorts, err = portMap(in("entrypoint-port")); err != nil {
		return fmt.Errorf("input entrypoint-port: %w", err)
	}
	o.Nodes.Endpoints = pairs(in("node"))
	if o.Ingress.Traefik.Insecure, err = boolInput(in, "insecure", false); err != nil {
		return err
	}
	if o.Deploy.Retain, err = boolInput(in, "retain", false); err != nil {
		return err
	}
	if s := strings.TrimSpace(in("budget")); s != "" {
		if o.Janitor.Budget, err = strconv.Atoi(s); err != nil || o.Janitor.Budget < 0 {
			return fmt.Errorf("input budget %q: want a number of slots, or 0 for no budget", s)
		}
	}
	return limitInputs(in, &o.Limits)
}

// envInput is the multi-line env input (a YAML block scalar in the
// workflow: KEY=VALUE lines, e.g. COMPOSE_FILE=compose.yml:compose.smtp.yml)
// as one --env assignment text: kept whole, so that a double-quoted value
// may span lines and the run's errors count lines as the input does. Its
// syntax is checked here, naming the input; its values are checked where
// --env's are, against the recipe's .env.sample.
func envInput(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if _, err := recipe.ParseEnv("input env", []byte(s)); err != nil {
		return nil, err
	}
	return []string{strings.ReplaceAll(s, "\r\n", "\n")}, nil
}

// intList parses "200, 301,302" as run's --probe-status does.
func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number: give HTTP statuses separated by commas, e.g. 200,302", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// pairs splits NAME=VALUE pairs separated by commas or line breaks, as
// --node takes them one at a time; the runner checks each (naming it).
func pairs(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// portMap reads NAME=PORT pairs separated by commas or line breaks, as
// --entrypoint-port takes them one at a time; empty gives nil.
func portMap(s string) (map[string]int, error) {
	var out map[string]int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, port, ok := strings.Cut(f, "=")
		n, err := strconv.Atoi(strings.TrimSpace(port))
		if !ok || err != nil {
			return nil, fmt.Errorf("%q: want NAME=PORT", f)
		}
		if out == nil {
			out = map[string]int{}
		}
		out[strings.TrimSpace(name)] = n
	}
	return out, nil
}
