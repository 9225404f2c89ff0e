package enrollment

import (
	"errors"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

func TestParseSecrets(t *testing.T) {
	e, err := Parse("recipes/x/recipe.toml", []byte(`
[secrets.api_key]
value = "key-{{.Stack}}-{{.RunID}}"

[secrets.salt]
random = { length = 40, charset = "hex" }

[secrets.plc_key]
command = ["/bin/sh", "-c", "openssl rand -hex 32"]
service = "pds"
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.SuppliedSecrets(); strings.Join(got, ",") != "api_key,plc_key,salt" {
		t.Errorf("supplied = %v", got)
	}
	for name, kind := range map[string]string{"api_key": "value", "salt": "random", "plc_key": "command"} {
		if s, ok := e.SecretSupply(name); !ok || s.Kind() != kind {
			t.Errorf("%s: %+v (want %s)", name, s, kind)
		}
	}
	if s, _ := e.SecretSupply("salt"); s.Random.Length != 40 || s.Random.Charset != "hex" {
		t.Errorf("salt = %+v", s.Random)
	}
	if s, _ := e.SecretSupply("plc_key"); s.Service != "pds" || len(s.Command) != 3 {
		t.Errorf("plc_key = %+v", s)
	}
	v, err := e.RenderSecretValue("api_key", struct{ Domain, Stack, RunID, Recipe string }{"d", "st", "abc123", "x"})
	if err != nil || v != "key-st-abc123" {
		t.Errorf("rendered %q, %v", v, err)
	}
	if _, err := e.RenderSecretValue("api_key", struct{ Domain string }{"d"}); err == nil || !strings.Contains(err.Error(), "secrets.api_key.value") {
		t.Errorf("a fact the template names is missing: %v", err)
	}
	if _, ok := (*Enrollment)(nil).SecretSupply("x"); ok {
		t.Error("no enrollment supplies nothing")
	}
}

func TestParseSecretErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		doc        string
		line       int
		key, inMsg string
	}{
		"none":            {"[secrets.k]\nservice = \"app\"\n", 0, "secrets.k", "exactly one of"},
		"two":             {"[secrets.k]\nvalue = \"x\"\nrandom = { length = 8 }\n", 0, "secrets.k", "exactly one of"},
		"empty command":   {"[secrets.k]\ncommand = []\n", 0, "secrets.k", "needs a program"},
		"blank program":   {"[secrets.k]\ncommand = [\" \"]\n", 0, "secrets.k", "needs a program"},
		"service alone":   {"[secrets.k]\nvalue = \"x\"\nservice = \"app\"\n", 0, "secrets.k", "goes with command only"},
		"bad template":    {"[secrets.k]\nvalue = \"{{.Domain\"\n", 0, "secrets.k", "not a valid template"},
		"no length":       {"[secrets.k]\nrandom = { charset = \"hex\" }\n", 0, "secrets.k", "from 1 to 4096"},
		"long":            {"[secrets.k]\nrandom = { length = 5000 }\n", 0, "secrets.k", "from 1 to 4096"},
		"charset":         {"[secrets.k]\nrandom = { length = 8, charset = \"emoji\" }\n", 0, "secrets.k", "alnum or hex"},
		"typo":            {"[secrets.k]\nvalu = \"x\"\n", 2, "secrets.k.valu", "known here: value, random, command, service"},
		"random typo":     {"[secrets.k.random]\nlenght = 8\n", 2, "secrets.k.random.lenght", "known here: length, charset"},
		"command type":    {"[secrets.k]\ncommand = \"openssl rand\"\n", 2, "secrets.k.command", ""},
		"secrets not map": {"secrets = 3\n", 1, "secrets", ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("recipes/x/recipe.toml", []byte(tc.doc))
			var ce *recipe.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a ConfigError", err)
			}
			if ce.Line != tc.line || ce.Key != tc.key || !strings.Contains(err.Error(), tc.inMsg) {
				t.Errorf("got %q (line %d key %q), want line %d key %q containing %q", err, ce.Line, ce.Key, tc.line, tc.key, tc.inMsg)
			}
		})
	}
}

// The lines SupplyExample suggests load as they are, and supply the
// secret with its hints.
func TestSupplyExampleLoads(t *testing.T) {
	for _, s := range []recipe.Secret{
		{Name: "plc_rotation_key", Length: 64, Charset: "hex"},
		{Name: "api_token"},
		{Name: "odd.name", Length: 12},
	} {
		lines := SupplyExample(s)
		e, err := Parse("recipes/x/recipe.toml", []byte(lines))
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.Name, err, lines)
		}
		sup, ok := e.SecretSupply(s.Name)
		want := max(s.Length, 32)
		if s.Length > 0 {
			want = s.Length
		}
		if !ok || sup.Kind() != "random" || sup.Random.Length != want || sup.Random.Charset != map[bool]string{true: "hex"}[s.Charset == "hex"] {
			t.Errorf("%s: supply %+v from\n%s", s.Name, sup, lines)
		}
		for _, w := range []string{"# value = ", "# command = "} {
			if !strings.Contains(lines, w) {
				t.Errorf("%s: lacks %q:\n%s", s.Name, w, lines)
			}
		}
	}
}
