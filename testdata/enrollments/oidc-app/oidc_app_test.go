// Package oidcapp holds the recipe tests of the OIDC-protected fixture
// app, which the run deploys with the OpenID provider it requires: the
// provider is a dependency (recipe.toml's [[requires]]), reached by its
// facts (Env.Dependency) through the run's ingress, which routes both
// domains.
package oidcapp

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/harness/sso"
)

// provider discovers the dependency's OpenID configuration.
func provider(t *testing.T, env *harness.Env) (*sso.Provider, harness.Dependency) {
	t.Helper()
	idp := env.Dependency(t, "idp")
	p, err := sso.Discover(t.Context(), env.HTTPClient(), idp.URL)
	if err != nil {
		t.Fatalf("discovery at %s: %v", idp.URL, err)
	}
	return p, idp
}

// The provider's discovery document names it as the issuer the app was
// wired with, and offers the code flow with PKCE.
func TestDiscovery(t *testing.T) {
	env := harness.Load(t)
	p, idp := provider(t, env)
	if p.Issuer() != idp.URL || env.Env["OIDC_ISSUER"] != idp.URL {
		t.Errorf("issuer %q; the app was wired with %q; want %q", p.Issuer(), env.Env["OIDC_ISSUER"], idp.URL)
	}
	if !p.Metadata.SupportsGrant("authorization_code") || !p.Metadata.SupportsGrant("client_credentials") ||
		!strings.Contains(strings.Join(p.Metadata.CodeChallengeMethodsSupported, " "), "S256") {
		t.Errorf("grants %v", p.Metadata.GrantTypesSupported)
	}
}

// The client the setup registered works: a token by client credentials,
// with the secret the run wired into the app's secret.
func TestClientCredentials(t *testing.T) {
	env := harness.Load(t)
	p, idp := provider(t, env)
	c := sso.Client{ID: idp.Outputs["client_id"], Secret: idp.Outputs["client_secret"], Issuer: idp.URL}
	if c.ID != env.Env["OIDC_CLIENT_ID"] || c.Secret != env.Secret(t, "client_secret") {
		t.Fatalf("the setup's client (%s) is not the one the app was wired with (%s)", c.ID, env.Env["OIDC_CLIENT_ID"])
	}
	tok, err := p.ClientCredentialsToken(t.Context(), c)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("client credentials: %v", err)
	}
}

// Without a login the app lets nobody in: its page sends to the login,
// its API answers 401.
func TestRefusesWithoutLogin(t *testing.T) {
	env := harness.Load(t)
	hc := *env.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for path, want := range map[string]int{"/": http.StatusFound, "/api/me": http.StatusUnauthorized} {
		resp, err := hc.Get(env.BaseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s without a login: %s, want %d", path, resp.Status, want)
		}
	}
}
