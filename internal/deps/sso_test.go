package deps

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

const keycloakBlock = `
[[requires]]
name = "keycloak"
as = "kc"

[requires.sso]
backend = "keycloak"
admin_password = "{{ .Deps.kc.Secrets.admin_password }}"
realm = "test"
client = { id = "docs", redirect_uris = ["{{ .Scheme }}://{{ .Domain }}/*"] }
users = [
  { username = "ada", given_name = "Ada", family_name = "Lovelace", email = "ada@example.org" },
  { username = "bob", password = "bob-s-own-password", given_name = "Bob", family_name = "B", email = "bob@example.org" },
]
`

func TestSSOBlock(t *testing.T) {
	reqs, lines := decode(t, keycloakBlock)
	if err := Check("recipe.toml", lines, reqs); err != nil {
		t.Fatal(err)
	}
	s := reqs[0].SSO
	if s == nil || s.Backend != "keycloak" || s.RealmName() != "test" || s.Client.ID != "docs" || len(s.Users) != 2 {
		t.Fatalf("decoded %+v", s)
	}
	want := "issuer realm client_id client_secret username password username_2 password_2"
	if got := strings.Join(reqs[0].Outputs(), " "); got != want {
		t.Errorf("Outputs() = %s, want %s", got, want)
	}
	// The values come by the names Outputs lists.
	vals := s.OutputValues(SSOResult{Issuer: "http://kc/realms/test", Realm: "test", ClientID: "docs", ClientSecret: "s3cret",
		Users: []SSOUser{{Username: "ada", Password: "pw-a"}, {Username: "bob", Password: "pw-b"}}})
	if got := strings.Join(slices.Sorted(maps.Keys(vals)), " "); got != strings.Join(slices.Sorted(slices.Values(strings.Fields(want))), " ") {
		t.Errorf("OutputValues keys %s", got)
	}
	if vals["password_2"] != "pw-b" || vals["username"] != "ada" || vals["client_secret"] != "s3cret" {
		t.Errorf("OutputValues %v", vals)
	}
	pub := SSO{Client: SSOClient{ID: "spa", Public: true}}
	if got := strings.Join(pub.Outputs(), " "); got != "issuer realm client_id" || len(pub.OutputValues(SSOResult{})) != 3 || pub.RealmName() != DefaultRealm {
		t.Errorf("a public client without users: %s", got)
	}
	// Fields name every template with its key; Clone's are its own.
	c := s.Clone()
	var keys []string
	for _, f := range c.Fields() {
		keys = append(keys, f.Key)
		*f.Text = "rendered"
	}
	if !slices.Contains(keys, "sso.client.redirect_uris[0]") || !slices.Contains(keys, "sso.users[1].email") || len(keys) != 18 {
		t.Errorf("fields %v", keys)
	}
	if s.Client.RedirectURIs[0] == "rendered" || s.Users[1].Email == "rendered" || s.AdminPassword == "rendered" {
		t.Errorf("rendering the clone changed the declaration: %+v", s)
	}
}

func TestSSOCheckNamesTheLine(t *testing.T) {
	head := "[[requires]]\nname = \"idp\"\n[requires.sso]\n" // the block is on line 3
	for _, tc := range []struct {
		name, doc, key string
		line           int
		msg            string
	}{
		{"no backend", head + "token = \"t\"\n", "requires[0].sso", 3, "needs backend, the provider's kind: keycloak, authentik, fixture"},
		{"unknown backend", head + "token = \"t\"\nbackend = \"zitadel\"\n", "requires[0].sso.backend", 5, `"zitadel" is not an SSO backend`},
		{"keycloak without a password", head + "backend = \"keycloak\"\nclient.id = \"a\"\n", "requires[0].sso", 3, "needs admin_password"},
		{"keycloak with a token", head + "backend = \"keycloak\"\nadmin_password = \"p\"\ntoken = \"t\"\n", "requires[0].sso.token", 6, "not used by backend keycloak"},
		{"fixture without a token", head + "backend = \"fixture\"\n", "requires[0].sso", 3, "backend fixture needs token"},
		{"authentik with a password", head + "backend = \"authentik\"\ntoken = \"t\"\nadmin_password = \"p\"\n", "requires[0].sso.admin_password", 6, "takes a token"},
		{"no client", head + "backend = \"fixture\"\ntoken = \"t\"\n", "requires[0].sso.client", 3, "needs id"},
		{"public with a secret", head + "backend = \"fixture\"\ntoken = \"t\"\n[requires.sso.client]\nid = \"a\"\npublic = true\nsecret = \"s\"\n", "requires[0].sso.client.secret", 9, "no secret"},
		{"user without a name", head + "backend = \"fixture\"\ntoken = \"t\"\nclient.id = \"a\"\n[[requires.sso.users]]\nemail = \"x@y\"\n", "requires[0].sso.users[0]", 7, "needs username"},
		{"keycloak user without a name", head + "backend = \"keycloak\"\nadmin_password = \"p\"\nclient.id = \"a\"\nusers = [{ username = \"ada\" }]\n", "requires[0].sso.users[0]", 7, "given_name and family_name"},
		{"user twice", head + "backend = \"fixture\"\ntoken = \"t\"\nclient.id = \"a\"\n[[requires.sso.users]]\nusername = \"ada\"\n[[requires.sso.users]]\nusername = \"ada\"\n", "requires[0].sso.users[1].username", 10, "already a user"},
		{"bad template", head + "backend = \"fixture\"\ntoken = \"{{ .Deps.idp.Secrets.admin_token \"\nclient.id = \"a\"\n", "requires[0].sso.token", 5, "not a valid template"},
		{"bad redirect template", head + "backend = \"fixture\"\ntoken = \"t\"\n[requires.sso.client]\nid = \"a\"\nredirect_uris = [\"ok\", \"{{ .Domain \"]\n", "requires[0].sso.client.redirect_uris[1]", 8, "not a valid template"},
		{"output of a step too", "[[requires]]\nname = \"idp\"\n[[requires.setup]]\nservice = \"app\"\nrun = \"x\"\noutputs = [\"client_id\"]\n[requires.sso]\nbackend = \"fixture\"\ntoken = \"t\"\nclient.id = \"a\"\n", "requires[0].sso", 7, `makes output "client_id", which a setup step prints too`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs, lines := decode(t, tc.doc)
			err := Check("recipe.toml", lines, reqs)
			var ce *recipe.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			if ce.Key != tc.key || ce.Line != tc.line || !strings.Contains(ce.Error(), tc.msg) {
				t.Errorf("got key %q line %d: %v; want key %q line %d containing %q", ce.Key, ce.Line, err, tc.key, tc.line, tc.msg)
			}
		})
	}
}
