// Package authentik holds the recipe tests of Co-op Cloud's authentik
// recipe (the authentik identity provider: server, worker, PostgreSQL,
// Redis): what recipe-test's custom stage runs against the deployed app.
// With plain `go test` only the parsing tests of the documented answers
// run; the others skip, since no app is deployed.
//
// Unverified here: authentik's image cannot be built or pulled on the
// machines these tests were written on. The requests follow authentik's
// API v3 (through harness/sso's authentik backend, and the reads here) and
// its OAuth2 provider's documented endpoints; the answers they parse are
// recorded in testdata/ and unit-tested. They reach the API with the
// bootstrap admin's API token, the recipe's admin_token secret.
package authentik

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/harness/sso"
)

// token is the bootstrap admin's API token (AUTHENTIK_BOOTSTRAP_TOKEN, the
// admin_token secret). The worker applies the bootstrap blueprint that
// makes it shortly after the first start: wait until it authenticates.
func token(t *testing.T, env *harness.Env) string {
	t.Helper()
	tok := strings.TrimSpace(env.Secret(t, "admin_token"))
	c := env.HTTP()
	harness.WaitUntil(t, 3*time.Minute, 5*time.Second, func() error {
		r := get(t, c, "/api/v3/core/users/me/", tok)
		if r.Status != http.StatusOK {
			return &statusError{"the bootstrap token is not accepted yet (the worker applies the bootstrap blueprint)", r}
		}
		return nil
	})
	return tok
}

// get asks the API with a bearer token.
func get(t *testing.T, c *harness.Client, path, tok string) *harness.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	return c.Do(t, req)
}

// realm makes a namespace of harness/sso's authentik backend for the test,
// deleted with everything made in it when the test ends.
func realm(t *testing.T, env *harness.Env, admin *sso.Authentik) *sso.Realm {
	t.Helper()
	r, err := admin.CreateRealm(t.Context(), "rt-"+strings.ToLower(env.Credential(t, "realm")[:8]))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context() has ended when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := admin.DeleteRealm(ctx, r); err != nil {
			t.Errorf("deleting what the test made in authentik: %v", err)
		}
	})
	return r
}

// authentik's health endpoints: alive, and ready (its database and cache
// reachable).
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	for _, p := range []string{"/-/health/live/", "/-/health/ready/"} {
		c.Get(t, p).WantStatus(t, http.StatusOK, http.StatusNoContent)
	}
}

// The predecessor's test: an OAuth2/OpenID provider with its application
// and a user made through API v3 (harness/sso's authentik backend), each
// read back through the API as it was made.
func TestProviderApplicationUser(t *testing.T) {
	env := harness.Load(t)
	tok := token(t, env)
	admin := sso.NewAuthentik(env.HTTPClient(), env.BaseURL, tok)
	r := realm(t, env, admin)
	redirect := env.BaseURL + "/rt-callback"
	client, err := admin.CreateClient(t.Context(), r, sso.ClientSpec{ID: "rt-app", RedirectURIs: []string{redirect}})
	if err != nil {
		t.Fatal(err)
	}
	u := sso.User{Username: r.Name + "-ada", Password: env.Credential(t, "user-password"),
		Email: r.Name + "-ada@example.com", GivenName: "Ada", FamilyName: "Lovelace"}
	if err := admin.CreateUser(t.Context(), r, u); err != nil {
		t.Fatal(err)
	}

	c := env.HTTP()
	slug := r.Name + "-rt-app"
	var app application
	get(t, c, "/api/v3/core/applications/"+slug+"/", tok).WantStatus(t, http.StatusOK).JSON(t, &app)
	if app.Slug != slug || app.Name != slug || app.Provider == 0 || app.ProviderObj.PK != app.Provider {
		t.Errorf("application %s: %+v", slug, app)
	}
	var providers page[oauth2Provider]
	get(t, c, "/api/v3/providers/oauth2/?"+url.Values{"client_id": {client.ID}}.Encode(), tok).WantStatus(t, http.StatusOK).JSON(t, &providers)
	if len(providers.Results) != 1 {
		t.Fatalf("providers with client_id %s: %+v", client.ID, providers)
	}
	p := providers.Results[0]
	if p.PK != app.Provider || p.ClientType != "confidential" || p.SigningKey == "" ||
		len(p.RedirectURIs) != 1 || p.RedirectURIs[0].URL != redirect || p.RedirectURIs[0].MatchingMode != "strict" {
		t.Errorf("provider of %s: %+v", slug, p)
	}
	var users page[akUser]
	get(t, c, "/api/v3/core/users/?"+url.Values{"username": {u.Username}}.Encode(), tok).WantStatus(t, http.StatusOK).JSON(t, &users)
	if len(users.Results) != 1 {
		t.Fatalf("users named %s: %+v", u.Username, users)
	}
	got := users.Results[0]
	if got.Name != "Ada Lovelace" || got.Email != u.Email || !got.IsActive || got.Path != "recipe-test/"+r.Name {
		t.Errorf("user %s: %+v", u.Username, got)
	}
	if r := get(t, c, "/api/v3/core/users/"+strconv.Itoa(got.PK)+"/", "rt-wrong-"+env.Credential(t, "wrong")); r.Status != http.StatusForbidden && r.Status != http.StatusUnauthorized {
		t.Errorf("reading the user with a wrong token: %s, want 401 or 403", r)
	}
}

// Discovery: the application's issuer serves its OpenID configuration with
// authentik's endpoints under the app's domain and the application's own
// keys, and its JWKS holds the signing key.
func TestDiscovery(t *testing.T) {
	env := harness.Load(t)
	tok := token(t, env)
	admin := sso.NewAuthentik(env.HTTPClient(), env.BaseURL, tok)
	r := realm(t, env, admin)
	client, err := admin.CreateClient(t.Context(), r, sso.ClientSpec{ID: "rt-disc", RedirectURIs: []string{env.BaseURL + "/rt-callback"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := sso.Discover(t.Context(), env.HTTPClient(), client.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	if problems := checkDiscovery(p.Metadata, client.Issuer, strings.TrimRight(env.BaseURL, "/")); len(problems) > 0 {
		t.Errorf("discovery of %s: %v", client.Issuer, problems)
	}
	var jwks struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	env.HTTP().Get(t, p.Metadata.JWKSURI).WantStatus(t, http.StatusOK).JSON(t, &jwks)
	if len(jwks.Keys) == 0 || jwks.Keys[0].Kty != "RSA" || jwks.Keys[0].Kid == "" {
		t.Errorf("JWKS %s: %+v, want the self-signed certificate's RSA key", p.Metadata.JWKSURI, jwks)
	}
}

// The login page (the default authentication flow's executor) renders in
// Chromium.
func TestLoginPageInBrowser(t *testing.T) {
	env := harness.Load(t)
	b := env.Browser(t)
	if status := b.Navigate(t, "/if/flow/default-authentication-flow/"); status != http.StatusOK {
		t.Fatalf("the login page: %d", status)
	}
	b.WaitVisible(t, "ak-flow-executor")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "login")
}

// statusError is an answer with an unexpected status, for WaitUntil.
type statusError struct {
	what string
	r    *harness.Response
}

func (e *statusError) Error() string { return e.what + ": " + e.r.String() }
