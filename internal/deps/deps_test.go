package deps

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// decode reads a recipe.toml fragment as the enrollment does.
func decode(t *testing.T, doc string) ([]Require, Lines) {
	t.Helper()
	var v struct {
		Requires []Require `toml:"requires"`
	}
	if err := toml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v.Requires, IndexLines([]byte(doc))
}

func TestCheckAcceptsAProviderWithSetup(t *testing.T) {
	reqs, lines := decode(t, `
[[requires]]
name = "oidc-provider"
[requires.env]
OIDC_ISSUER = "{{ .Deps.oidc_provider.URL }}"
OIDC_CLIENT_ID = "{{ .Deps.oidc_provider.Outputs.client_id }}"
[requires.secrets]
oidc_client_secret = "{{ .Deps.oidc_provider.Outputs.client_secret }}"
[[requires.setup]]
service = "op"
run = "op-admin client --redirect https://{{ .Domain }}/callback"
outputs = ["client_id", "client_secret"]
[[requires.setup]]
service = "op"
run = "op-admin user --name alice"
outputs = ["username", "password"]

[[requires]]
name = "postgres"
as = "db"
for = "tests"
`)
	if err := Check("recipe.toml", lines, reqs); err != nil {
		t.Fatal(err)
	}
	if got := reqs[0].Key(); got != "oidc_provider" {
		t.Errorf("Key() = %q, want the name with _ for -", got)
	}
	if got := reqs[1].Key(); got != "db" {
		t.Errorf("Key() = %q, want as", got)
	}
	if reqs[0].Purpose() != ForApp || reqs[1].Purpose() != ForTests {
		t.Errorf("purposes %q %q", reqs[0].Purpose(), reqs[1].Purpose())
	}
	if got := strings.Join(reqs[0].Outputs(), ","); got != "client_id,client_secret,username,password" {
		t.Errorf("Outputs() = %s", got)
	}
}

func TestCheckNamesTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, doc, key string
		line           int
		msg            string
	}{
		{"no name", "[[requires]]\nfor = \"app\"\n", "requires[0]", 1, "needs name"},
		{"bad purpose", "[[requires]]\nname = \"a\"\n\nfor = \"ever\"\n", "requires[0].for", 4, `"ever"`},
		{"ref without upstream", "[[requires]]\nname = \"a\"\nref = \"1.0.0\"\n", "requires[0].ref", 3, "set upstream"},
		{"same key twice", "[[requires]]\nname = \"a\"\n[[requires]]\nname = \"b\"\nas = \"a\"\n", "requires[1]", 3, "again"},
		{"tests only, wired", "[[requires]]\nname = \"a\"\nfor = \"tests\"\nenv.X = \"y\"\n", "requires[0].for", 3, "not wired into the app"},
		{"bad as", "[[requires]]\nname = \"a\"\nas = \"my-db\"\n", "requires[0].as", 3, "template field"},
		{"bad template", "[[requires]]\nname = \"a\"\n[requires.env]\nX = \"{{ .Deps.a.Domain \"\n", "requires[0].env.X", 4, "not a valid template"},
		{"bad env name", "[[requires]]\nname = \"a\"\nenv.\"1X\" = \"y\"\n", "requires[0].env.1X", 3, "env variable"},
		{"setup without run", "[[requires]]\nname = \"a\"\n[[requires.setup]]\nservice = \"app\"\n", "requires[0].setup[0]", 3, "needs service"},
		{"output twice", "[[requires]]\nname = \"a\"\n[[requires.setup]]\nservice = \"s\"\nrun = \"x\"\noutputs = [\"id\"]\n[[requires.setup]]\nservice = \"s\"\nrun = \"y\"\noutputs = [\"id\"]\n", "requires[0].setup[1].outputs", 10, "earlier step"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs, lines := decode(t, tc.doc)
			err := Check("recipes/app/recipe.toml", lines, reqs)
			var ce *recipe.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			if ce.Key != tc.key || ce.Line != tc.line || !strings.Contains(ce.Error(), tc.msg) {
				t.Errorf("got key %q line %d: %v; want key %q line %d containing %q", ce.Key, ce.Line, err, tc.key, tc.line, tc.msg)
			}
			if !strings.HasPrefix(ce.Error(), fmt.Sprintf("recipes/app/recipe.toml:%d: ", tc.line)) {
				t.Errorf("error %q does not start with file:line", ce.Error())
			}
		})
	}
}

func TestCheckTemplate(t *testing.T) {
	known := Known{
		Run: []string{"Domain", "Stack", "RunID", "Recipe"},
		Deps: map[string]Shape{
			"kc": {Secrets: []string{"admin_password"}, Env: []string{"KC_HOSTNAME"}, Outputs: []string{"client_id"}},
			"db": {Secrets: []string{"db_password"}}, // Env nil: any name
		},
	}
	ok := []string{
		"plain text",
		"https://{{ .Domain }}/cb",
		"{{ .Deps.kc.URL }}/realms/test",
		"{{ .Deps.kc.Secrets.admin_password }}",
		"{{ .Deps.kc.Outputs.client_id }}",
		"{{ .Deps.kc.Env.KC_HOSTNAME }}",
		"{{ .Deps.db.Env.ANYTHING }}",
		"{{ with .Deps.kc }}{{ .Domain }}{{ end }}",
		"{{ $.Deps.db.Stack }}",
		"{{ range $k, $v := .Deps.kc.Outputs }}{{ $k }}={{ $v }} {{ end }}",
		"{{ if .Deps.kc.Domain }}{{ .RunID }}{{ end }}",
	}
	for _, text := range ok {
		if err := CheckTemplate(text, known); err != nil {
			t.Errorf("CheckTemplate(%q) = %v, want nil", text, err)
		}
	}
	bad := map[string]string{
		"{{ .Deps.keycloak.Domain }}":             "keycloak is not required here (required: db, kc)",
		"{{ .Deps.kc.Hostname }}":                 "kc has no fact Hostname",
		"{{ .Deps.kc.Outputs.client_secret }}":    "kc has no setup output client_secret (it has: client_id)",
		"{{ .Deps.db.Outputs.x }}":                "has no setup output x (it has: none)",
		"{{ .Deps.kc.Secrets.nope }}":             "has no secret nope",
		"{{ .Deps.kc.Env.NOPE }}":                 "has no env variable NOPE",
		"{{ .Deps.kc.Domain.x }}":                 "Domain is a string",
		"{{ .Domian }}":                           "{{ .Domian }}: no such fact",
		"{{ if true }}{{ .Deps.x.URL }}{{ end }}": "x is not required",
		"{{ .Deps.kc.Domain ":                     "unclosed action",
	}
	for text, want := range bad {
		err := CheckTemplate(text, known)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckTemplate(%q) = %v, want an error containing %q", text, err, want)
		}
	}
}

// graph is a set of enrollments by name, as recipe.toml text.
type graph map[string]string

func (g graph) node(t *testing.T, name string) (*Node, error) {
	doc, ok := g[name]
	if !ok {
		return nil, fmt.Errorf("no enrolled recipe %s (recipes/%s/recipe.toml)", name, name)
	}
	reqs, lines := decode(t, doc)
	return &Node{Name: name, File: "recipes/" + name + "/recipe.toml", Lines: lines, Requires: reqs}, nil
}

func (g graph) resolve(t *testing.T, root string) ([]*Node, error) {
	n, err := g.node(t, root)
	if err != nil {
		t.Fatal(err)
	}
	return Resolve(n, func(r Require) (*Node, error) { return g.node(t, r.Name) })
}

func names(nodes []*Node) string {
	var s []string
	for _, n := range nodes {
		s = append(s, n.Name)
	}
	return strings.Join(s, " ")
}

func TestResolveOrdersDependenciesFirst(t *testing.T) {
	g := graph{
		"docs":     "[[requires]]\nname = \"keycloak\"\n[[requires]]\nname = \"minio\"\n",
		"keycloak": "[[requires]]\nname = \"postgres\"\n",
		"minio":    "[[requires]]\nname = \"postgres\"\n", // a diamond: postgres once
		"postgres": "",
	}
	order, err := g.resolve(t, "docs")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(order); got != "postgres keycloak minio" {
		t.Errorf("order = %q, want postgres keycloak minio", got)
	}
	if order, err := g.resolve(t, "postgres"); err != nil || len(order) != 0 {
		t.Errorf("a recipe with no requirements: %v, %v", names(order), err)
	}
}

func TestResolveErrorsNameTheLine(t *testing.T) {
	g := graph{
		"a": "[recipe]\nname = \"a\"\n\n[[requires]]\nname = \"b\"\n",
		"b": "[[requires]]\nname = \"ghost\"\n[[requires]]\nname = \"c\"\n",
		"c": "[[requires]]\nname = \"a\"\n",
		"d": "[[requires]]\nname = \"d\"\n",
	}
	_, err := g.resolve(t, "a")
	var ce *recipe.ConfigError
	if !errors.As(err, &ce) || ce.File != "recipes/b/recipe.toml" || ce.Line != 2 || !strings.Contains(err.Error(), "no enrolled recipe ghost") {
		t.Errorf("missing recipe: %v (%+v)", err, ce)
	}
	delete(g, "ghost")
	g["b"] = "[[requires]]\nname = \"c\"\n"
	_, err = g.resolve(t, "a")
	if !errors.As(err, &ce) || ce.File != "recipes/c/recipe.toml" || ce.Line != 2 || !strings.Contains(err.Error(), "dependency cycle: a → b → c → a") {
		t.Errorf("cycle: %v", err)
	}
	_, err = g.resolve(t, "d")
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "dependency cycle: d → d") {
		t.Errorf("self-requirement: %v", err)
	}
}
