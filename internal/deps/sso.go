package deps

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SSO sets a dependency that is an identity provider up through the
// provider's own admin API (package harness/sso/ssoadmin), declaratively:
// a realm, a client for the dependent app and its users. It runs in the
// dependency's setup stage after the exec steps (so its fields may name
// their outputs), and its outputs join theirs (see Outputs). Every string
// is a template, like the wiring.
type SSO struct {
	// Backend is the provider's kind: one of SSOBackends.
	Backend string `toml:"backend"`
	// URL is the provider's base URL; "" = the dependency's own URL
	// (<scheme>://<its domain>). Keycloak before 17 needs ".../auth".
	URL string `toml:"url"`
	// AdminUser ("" = "admin") and AdminPassword are Keycloak's master
	// realm administrator; Token is authentik's or the fixture's API
	// token.
	AdminUser     string `toml:"admin_user"`
	AdminPassword string `toml:"admin_password"`
	Token         string `toml:"token"`
	// Realm is the realm made ("" = DefaultRealm): Keycloak's realm;
	// authentik's and the fixture's namespace of what is made.
	Realm  string    `toml:"realm"`
	Client SSOClient `toml:"client"`
	Users  []SSOUser `toml:"users"`
}

// SSOClient is the OAuth 2.0 / OpenID Connect client registered.
type SSOClient struct {
	ID string `toml:"id"`
	// Public makes a client without a secret (PKCE protects its code).
	Public bool `toml:"public"`
	// Secret of a confidential client; "" lets the provider make one.
	Secret                 string   `toml:"secret"`
	RedirectURIs           []string `toml:"redirect_uris"`
	PostLogoutRedirectURIs []string `toml:"post_logout_redirect_uris"`
}

// SSOUser is a user made with a password ("" = a random one).
type SSOUser struct {
	Username   string `toml:"username"`
	Password   string `toml:"password"`
	Email      string `toml:"email"`
	GivenName  string `toml:"given_name"`
	FamilyName string `toml:"family_name"`
}

// DefaultRealm is the realm an SSO block without one makes.
const DefaultRealm = "recipe-test"

// SSOBackends are the admin backends an SSO block may name.
var SSOBackends = []string{"keycloak", "authentik", "fixture"}

// RealmName is Realm with its default.
func (s *SSO) RealmName() string {
	if s.Realm == "" {
		return DefaultRealm
	}
	return s.Realm
}

// Field is one templated string of an SSO block and its key under the
// [[requires]] entry ("sso.client.redirect_uris[0]").
type Field struct {
	Key  string
	Text *string // set to the rendered value by the runner
}

// Fields are the SSO block's templates, in the order they are written.
func (s *SSO) Fields() []Field {
	f := []Field{{"sso.url", &s.URL}, {"sso.admin_user", &s.AdminUser}, {"sso.admin_password", &s.AdminPassword},
		{"sso.token", &s.Token}, {"sso.realm", &s.Realm}, {"sso.client.id", &s.Client.ID}, {"sso.client.secret", &s.Client.Secret}}
	for i := range s.Client.RedirectURIs {
		f = append(f, Field{fmt.Sprintf("sso.client.redirect_uris[%d]", i), &s.Client.RedirectURIs[i]})
	}
	for i := range s.Client.PostLogoutRedirectURIs {
		f = append(f, Field{fmt.Sprintf("sso.client.post_logout_redirect_uris[%d]", i), &s.Client.PostLogoutRedirectURIs[i]})
	}
	for i := range s.Users {
		u := &s.Users[i]
		p := fmt.Sprintf("sso.users[%d].", i)
		f = append(f, Field{p + "username", &u.Username}, Field{p + "password", &u.Password}, Field{p + "email", &u.Email},
			Field{p + "given_name", &u.GivenName}, Field{p + "family_name", &u.FamilyName})
	}
	return f
}

// Clone is a copy whose fields may be rendered without touching s.
func (s *SSO) Clone() *SSO {
	c := *s
	c.Client.RedirectURIs = slices.Clone(s.Client.RedirectURIs)
	c.Client.PostLogoutRedirectURIs = slices.Clone(s.Client.PostLogoutRedirectURIs)
	c.Users = slices.Clone(s.Users)
	return &c
}

// SSOResult is what an SSO block made, as the runner reads it back.
type SSOResult struct {
	Issuer, Realm, ClientID, ClientSecret string
	Users                                 []SSOUser // with their passwords
}

// Outputs are the names of what the block makes, as
// {{ .Deps.<key>.Outputs.<name> }} names them: issuer, realm, client_id,
// client_secret (a confidential client's), and username and password of
// the first user, username_2 and password_2 of the second, and so on.
func (s *SSO) Outputs() []string {
	out := []string{"issuer", "realm", "client_id"}
	if !s.Client.Public {
		out = append(out, "client_secret")
	}
	for i := range s.Users {
		out = append(out, userOutput("username", i), userOutput("password", i))
	}
	return out
}

// OutputValues are res by the names Outputs lists.
func (s *SSO) OutputValues(res SSOResult) map[string]string {
	out := map[string]string{"issuer": res.Issuer, "realm": res.Realm, "client_id": res.ClientID}
	if !s.Client.Public {
		out["client_secret"] = res.ClientSecret
	}
	for i, u := range res.Users {
		out[userOutput("username", i)], out[userOutput("password", i)] = u.Username, u.Password
	}
	return out
}

func userOutput(name string, i int) string {
	if i == 0 {
		return name
	}
	return name + "_" + strconv.Itoa(i+1)
}

// checkSSO checks an SSO block on its own; at names the place of a
// problem by its key under the [[requires]] entry.
func checkSSO(s *SSO, name string, at func(key, msg string, args ...any) error) error {
	switch {
	case s.Backend == "":
		return at("sso", "needs backend, the provider's kind: %s", strings.Join(SSOBackends, ", "))
	case !slices.Contains(SSOBackends, s.Backend):
		return at("sso.backend", "%q is not an SSO backend (backends: %s)", s.Backend, strings.Join(SSOBackends, ", "))
	case s.Backend == "keycloak" && s.AdminPassword == "":
		return at("sso", "backend keycloak needs admin_password (and admin_user, when not \"admin\"): the master realm administrator's, e.g. \"{{ .Deps.<key>.Secrets.admin_password }}\"")
	case s.Backend == "keycloak" && s.Token != "":
		return at("sso.token", "is not used by backend keycloak: its admin API takes admin_user and admin_password")
	case s.Backend != "keycloak" && s.Token == "":
		return at("sso", "backend %s needs token, its admin API token, e.g. \"{{ .Deps.<key>.Secrets.<secret> }}\"", s.Backend)
	case s.Backend != "keycloak" && s.AdminUser != "":
		return at("sso.admin_user", "is not used by backend %s: its admin API takes a token", s.Backend)
	case s.Backend != "keycloak" && s.AdminPassword != "":
		return at("sso.admin_password", "is not used by backend %s: its admin API takes a token", s.Backend)
	case strings.TrimSpace(s.Client.ID) == "":
		return at("sso.client", "needs id, the client_id to register in %s", name)
	case s.Client.Public && s.Client.Secret != "":
		return at("sso.client.secret", "a public client has no secret: drop secret or public")
	}
	seen := map[string]bool{}
	for i, u := range s.Users {
		p := fmt.Sprintf("sso.users[%d]", i)
		if strings.TrimSpace(u.Username) == "" {
			return at(p, "needs username")
		}
		if seen[u.Username] {
			return at(p+".username", "%q is already a user of this block", u.Username)
		}
		seen[u.Username] = true
		if s.Backend == "keycloak" && (u.Email == "" || u.GivenName == "" || u.FamilyName == "") {
			return at(p, "needs email, given_name and family_name with backend keycloak (else Keycloak asks for them at the first login)")
		}
	}
	for _, f := range s.Fields() {
		if _, err := parseTemplate(*f.Text); err != nil {
			return at(f.Key, "is not a valid template: %v", err)
		}
	}
	return nil
}
