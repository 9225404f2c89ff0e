// Package deps models the recipes a recipe needs deployed beside it, as
// its recipe.toml declares them in [[requires]]: which recipe, what for,
// how the dependent app's env and secrets are wired from the
// dependency's facts, and the setup that runs in the dependency once it
// is ready (creating an OIDC client, say: exec steps in its containers, or
// an SSO block through its admin API) and whose outputs feed that wiring. It checks the declarations, orders a recipe's dependencies for
// deployment and checks every wiring template against the facts each
// dependency will have, so that a cycle, a missing recipe or a template
// naming an unknown fact is found before anything is deployed, with the
// recipe.toml line that says it.
package deps

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// What a dependency is deployed for.
const (
	// ForApp deploys the dependency before the app's install and keeps it
	// up through every stage (upgrade, backup, restore) until the app is
	// torn down.
	ForApp = "app"
	// ForTests deploys it beside the app for the recipe's own tests (which
	// read its facts) without wiring it into the app's env or secrets.
	ForTests = "tests"
)

// Require is one [[requires]] entry.
type Require struct {
	// Name is the recipe required: an enrolled recipe (recipes/<name>/),
	// or, with Upstream, any recipe.
	Name string `toml:"name"`
	// Upstream and Ref name a recipe that is not enrolled: its git
	// repository and the ref to deploy ("" = its newest release).
	Upstream string `toml:"upstream"`
	Ref      string `toml:"ref"`
	// As is its key in templates, {{ .Deps.<as>.Domain }}; "" = Name with
	// "-" written "_" (a template field cannot hold a hyphen).
	As string `toml:"as"`
	// For is ForApp (the default) or ForTests.
	For string `toml:"for"`
	// Env is wiring into the dependent app's env: NAME = template over the
	// run's facts and .Deps.
	Env map[string]string `toml:"env"`
	// Secrets gives the dependent's compose secrets their values instead
	// of generated ones: secret name = template.
	Secrets map[string]string `toml:"secrets"`
	// Setup runs in the dependency, in order, once it is ready and before
	// the dependent deploys.
	Setup []Step `toml:"setup"`
	// SSO sets the dependency up through its identity provider's admin
	// API, after the Setup steps (see SSO).
	SSO *SSO `toml:"sso"`
}

// Step is a setup step: a shell command line run in a running container
// of the dependency's Service. It prints each of its Outputs as a
// NAME=VALUE line on stdout; they become .Deps.<as>.Outputs.NAME.
type Step struct {
	Service string   `toml:"service"`
	Run     string   `toml:"run"` // a template, like the wiring
	Outputs []string `toml:"outputs"`
}

// Key is the dependency's name in templates.
func (r Require) Key() string {
	if r.As != "" {
		return r.As
	}
	return strings.ReplaceAll(r.Name, "-", "_")
}

// Purpose is For with its default.
func (r Require) Purpose() string {
	if r.For == "" {
		return ForApp
	}
	return r.For
}

var (
	recipeName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Check checks a recipe.toml's [[requires]] on their own (names, purposes,
// keys, setup steps, template syntax): file and lines name the place of a
// problem.
func Check(file string, lines Lines, reqs []Require) error {
	at := func(key, msg string, args ...any) error {
		return &recipe.ConfigError{File: file, Line: lines.Line(key), Key: key, Msg: fmt.Sprintf(msg, args...)}
	}
	keys := map[string]int{}
	for i, r := range reqs {
		p := fmt.Sprintf("requires[%d]", i)
		switch {
		case r.Name == "":
			return at(p, "needs name, the recipe required")
		case !recipeName.MatchString(r.Name):
			return at(p+".name", "%q is not a recipe name (lower case letters, digits, . _ -)", r.Name)
		case r.Ref != "" && r.Upstream == "":
			return at(p+".ref", "is a ref of upstream: set upstream too (an enrolled recipe's ref is in its own recipe.toml)")
		case r.As != "" && !identifier.MatchString(r.As):
			return at(p+".as", "%q cannot be a template field: use letters, digits and _", r.As)
		case !identifier.MatchString(r.Key()):
			return at(p+".name", "%q cannot be a template field: set as = \"...\" (letters, digits and _)", r.Name)
		}
		if j, dup := keys[r.Key()]; dup {
			return at(p, "requires %s again (requires[%d]): give one of them another as = \"...\"", r.Key(), j)
		}
		keys[r.Key()] = i
		if f := r.For; f != "" && f != ForApp && f != ForTests {
			return at(p+".for", "%q: use %q or %q", f, ForApp, ForTests)
		}
		if r.Purpose() == ForTests && (len(r.Env) > 0 || len(r.Secrets) > 0) {
			return at(p+".for", "a dependency for the tests only is not wired into the app: move env and secrets to a dependency for the app, or read it in the tests (harness Env.Dependency)")
		}
		for _, name := range sorted(r.Env) {
			if !identifier.MatchString(name) {
				return at(p+".env."+name, "is not an env variable name")
			}
			if _, err := parseTemplate(r.Env[name]); err != nil {
				return at(p+".env."+name, "is not a valid template: %v", err)
			}
		}
		for _, name := range sorted(r.Secrets) {
			if _, err := parseTemplate(r.Secrets[name]); err != nil {
				return at(p+".secrets."+name, "is not a valid template: %v", err)
			}
		}
		outputs := map[string]bool{}
		for j, s := range r.Setup {
			sp := fmt.Sprintf("%s.setup[%d]", p, j)
			if strings.TrimSpace(s.Service) == "" || strings.TrimSpace(s.Run) == "" {
				return at(sp, "needs service (of %s) and run (a shell command line)", r.Name)
			}
			if _, err := parseTemplate(s.Run); err != nil {
				return at(sp+".run", "is not a valid template: %v", err)
			}
			for _, o := range s.Outputs {
				if !identifier.MatchString(o) {
					return at(sp+".outputs", "%q is not an output name (letters, digits and _)", o)
				}
				if outputs[o] {
					return at(sp+".outputs", "%q is already an output of an earlier step", o)
				}
				outputs[o] = true
			}
		}
		if r.SSO != nil {
			if err := checkSSO(r.SSO, r.Name, func(key, msg string, args ...any) error { return at(p+"."+key, msg, args...) }); err != nil {
				return err
			}
			for _, o := range r.SSO.Outputs() {
				if outputs[o] {
					return at(p+".sso", "makes output %q, which a setup step prints too: rename the step's", o)
				}
			}
		}
	}
	return nil
}

// Outputs lists what r's setup steps print, in order, then what its SSO
// block makes.
func (r Require) Outputs() []string {
	var out []string
	for _, s := range r.Setup {
		out = append(out, s.Outputs...)
	}
	if r.SSO != nil {
		out = append(out, r.SSO.Outputs()...)
	}
	return out
}

func sorted(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
