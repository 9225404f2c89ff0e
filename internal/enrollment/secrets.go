package enrollment

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/template"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// SecretSupply is one `[secrets.<name>]` table: how the run makes the value
// of the recipe's secret <name> (the compose secret's key) instead of
// generating it. A recipe needs one for every secret its .env.sample marks
// `generate=false`, and may have one for any other secret whose value must
// have a form random letters do not give (a key pair, a hex key of a
// length). Exactly one of Value, Random and Command is set.
type SecretSupply struct {
	// Value is a Go template over the run's facts ({{.Domain}},
	// {{.Stack}}, {{.RunID}}, {{.Recipe}}), as [env] values are.
	Value string `toml:"value"`
	// Random is a fresh random value.
	Random *RandomSecret `toml:"random"`
	// Command runs in a throwaway container of the image of Service (never
	// on the runner's host): its standard output, trimmed, is the value.
	// It is the container's whole command line (the image's entrypoint is
	// not used), run without a network or capabilities, bounded by the
	// hook timeout.
	Command []string `toml:"command"`
	// Service is the service whose image Command runs in; "" = the first
	// service (by name) that uses the secret.
	Service string `toml:"service"`
}

// RandomSecret is a random value's shape.
type RandomSecret struct {
	Length  int    `toml:"length"`
	Charset string `toml:"charset"` // alnum (the default) or hex
}

// Charsets returns the character sets a random secret may draw from, as
// .env.sample's `charset=` hint names them.
func Charsets() []string { return []string{"alnum", "hex"} }

// MaxSecretLength is the longest random secret recipe.toml may ask for,
// as .env.sample's `length=` hint.
const MaxSecretLength = 4096

// Kind names which way the supply makes its value: value, random or
// command.
func (s SecretSupply) Kind() string {
	switch {
	case s.Random != nil:
		return "random"
	case len(s.Command) > 0:
		return "command"
	}
	return "value"
}

func (s SecretSupply) check() error {
	set := 0
	for _, on := range []bool{s.Value != "", s.Random != nil, s.Command != nil} {
		if on {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("needs exactly one of value (a template), random = { length = N } or command = [...]")
	}
	if s.Service != "" && s.Command == nil {
		return fmt.Errorf("service names the image a command runs in: it goes with command only")
	}
	switch {
	case s.Value != "":
		if _, err := template.New("").Option("missingkey=error").Parse(s.Value); err != nil {
			return fmt.Errorf("value is not a valid template: %w", err)
		}
	case s.Random != nil:
		if s.Random.Length < 1 || s.Random.Length > MaxSecretLength {
			return fmt.Errorf("random.length %d: give a length from 1 to %d", s.Random.Length, MaxSecretLength)
		}
		if s.Random.Charset != "" && !slices.Contains(Charsets(), s.Random.Charset) {
			return fmt.Errorf("random.charset %q: use %s", s.Random.Charset, strings.Join(Charsets(), " or "))
		}
	default:
		if len(s.Command) == 0 || strings.TrimSpace(s.Command[0]) == "" {
			return fmt.Errorf("command needs a program to run: command = [\"/path/to/program\", \"arg\", ...]")
		}
	}
	return nil
}

// SecretSupply returns the recipe.toml supply of the secret name.
func (e *Enrollment) SecretSupply(name string) (SecretSupply, bool) {
	if e == nil {
		return SecretSupply{}, false
	}
	s, ok := e.Secrets[name]
	return s, ok
}

// SuppliedSecrets lists the names of the secrets recipe.toml supplies,
// sorted.
func (e *Enrollment) SuppliedSecrets() []string {
	if e == nil {
		return nil
	}
	names := make([]string, 0, len(e.Secrets))
	for name := range e.Secrets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// RenderSecretValue renders the value template of secret name with the
// run's facts.
func (e *Enrollment) RenderSecretValue(name string, facts any) (string, error) {
	return e.render("secrets."+name+".value", e.Secrets[name].Value, facts)
}

// render executes the template text, the value of key, with facts.
func (e *Enrollment) render(key, text string, facts any) (string, error) {
	t, err := template.New(key).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", &recipe.ConfigError{File: e.File, Key: key, Msg: "is not a valid template", Err: err}
	}
	var b strings.Builder
	if err := t.Execute(&b, facts); err != nil {
		return "", &recipe.ConfigError{File: e.File, Key: key, Msg: "cannot be rendered", Err: err}
	}
	return b.String(), nil
}

// SupplyExample returns the recipe.toml lines that would supply secret s:
// a random value of its length and charset hints, with the two other ways
// commented out. The plan error of a recipe that lacks them shows these
// lines, and the scaffold of `recipe-test enroll` writes them.
func SupplyExample(s recipe.Secret) string {
	n := s.Length
	if n <= 0 {
		n = 32
	}
	random := fmt.Sprintf("random = { length = %d }", n)
	if s.Charset == "hex" {
		random = fmt.Sprintf("random = { length = %d, charset = \"hex\" }", n)
	}
	return fmt.Sprintf(`[secrets.%s]
%s
# or a template over the run's facts:
# value = "{{.Stack}}-%s"
# or the output of a command run in a throwaway container of the service's image:
# command = ["/bin/sh", "-c", "openssl rand -hex 32"]
`, tomlKey(s.Name), random, s.Name)
}

// tomlKey quotes a table key when TOML needs it.
func tomlKey(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Sprintf("%q", k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}
