// Package keycloak holds the recipe tests of Co-op Cloud's keycloak recipe
// (Keycloak, an OpenID provider): what recipe-test's custom stage runs
// against the deployed app, through the harness and harness/sso. With
// plain `go test` the tests that need the app skip; the parsing of
// Keycloak's answers is unit-tested against its documented shapes
// (shapes_test.go, testdata/).
package keycloak

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/harness/sso"
)

// realmInfo is Keycloak's PublishedRealmRepresentation, the public
// answer of GET /realms/{realm}.
type realmInfo struct {
	Realm           string `json:"realm"`
	PublicKey       string `json:"public_key"`
	TokenService    string `json:"token-service"`
	AccountService  string `json:"account-service"`
	TokensNotBefore int    `json:"tokens-not-before"`
}

// parseRealmInfo decodes a realm's public information and checks what a
// realm always publishes: its name, an RSA public key (base64 DER, no PEM
// armour) and its token service.
func parseRealmInfo(data []byte) (realmInfo, error) {
	var ri realmInfo
	if err := json.Unmarshal(data, &ri); err != nil {
		return ri, fmt.Errorf("realm information: %w", err)
	}
	if ri.Realm == "" || ri.TokenService == "" {
		return ri, fmt.Errorf("realm information without realm or token-service: %.200s", data)
	}
	der, err := base64.StdEncoding.DecodeString(ri.PublicKey)
	if err != nil {
		return ri, fmt.Errorf("realm %s: public_key is not base64: %w", ri.Realm, err)
	}
	if _, err := x509.ParsePKIXPublicKey(der); err != nil {
		return ri, fmt.Errorf("realm %s: public_key: %w", ri.Realm, err)
	}
	return ri, nil
}

// health is the answer of Keycloak's health endpoints (SmallRye Health):
// {"status": "UP", "checks": [{"name": ..., "status": "UP"}]}.
type health struct {
	Status string `json:"status"`
	Checks []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"checks"`
}

// parseHealthResponse reads a raw HTTP answer of a health endpoint (as
// the container's shell received it): 200 with the JSON body, or an
// error naming the status (503 when a check is DOWN).
func parseHealthResponse(raw string) (health, error) {
	var h health
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil)
	if err != nil {
		return h, fmt.Errorf("health answer: %w (%.200q)", err, raw)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return h, fmt.Errorf("health answer's body: %w", err)
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return h, fmt.Errorf("health answer (%s): %w: %.200s", resp.Status, err, body)
	}
	if resp.StatusCode != http.StatusOK || h.Status != "UP" {
		return h, fmt.Errorf("health: %s, status %q, checks %+v", resp.Status, h.Status, h.Checks)
	}
	return h, nil
}

// user is the part of Keycloak's UserRepresentation the tests read back.
type user struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Enabled       bool   `json:"enabled"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"emailVerified"`
	FirstName     string `json:"firstName"`
	LastName      string `json:"lastName"`
	Created       int64  `json:"createdTimestamp"`
}

// parseUsers decodes the admin API's user search (GET
// /admin/realms/{realm}/users): a JSON array of representations.
func parseUsers(data []byte) ([]user, error) {
	var us []user
	if err := json.Unmarshal(data, &us); err != nil {
		return nil, fmt.Errorf("user list: %w: %.200s", err, data)
	}
	for _, u := range us {
		if u.ID == "" || u.Username == "" {
			return nil, fmt.Errorf("user list: a user without id or username: %+v", u)
		}
	}
	return us, nil
}

// admin is the recipe's administrator: ADMIN_USERNAME with the
// admin_password secret (the bootstrap admin of the master realm).
func admin(t *testing.T, env *harness.Env) (string, string) {
	t.Helper()
	name := env.Env["ADMIN_USERNAME"]
	if name == "" {
		t.Fatal("the app's env has no ADMIN_USERNAME")
	}
	return name, env.Secret(t, "admin_password")
}

// masterIssuer is the master realm's issuer under the run's domain.
func masterIssuer(env *harness.Env) string {
	return strings.TrimRight(env.BaseURL, "/") + "/realms/master"
}

// testRealm makes a realm of the test's own, deleted when it ends, with a
// confidential client redirecting to redirectURI and a user; it returns
// the Keycloak admin, the realm, the client and the user.
func testRealm(t *testing.T, env *harness.Env, name, redirectURI string) (*sso.Keycloak, *sso.Realm, sso.Client, sso.User) {
	t.Helper()
	ctx := t.Context()
	adminUser, adminPassword := admin(t, env)
	kc := sso.NewKeycloak(env.HTTPClient(), env.BaseURL, adminUser, adminPassword)
	realm, err := kc.CreateRealm(ctx, "rt-"+name+"-"+strings.ToLower(env.Credential(t, "realm-"+name)[:6]))
	if err != nil {
		t.Fatalf("creating a realm: %v", err)
	}
	t.Cleanup(func() {
		if err := kc.DeleteRealm(context.WithoutCancel(ctx), realm); err != nil {
			t.Errorf("deleting realm %s: %v", realm.Name, err)
		}
	})
	client, err := kc.CreateClient(ctx, realm, sso.ClientSpec{ID: "rt-app", RedirectURIs: []string{redirectURI}})
	if err != nil {
		t.Fatalf("creating a client in realm %s: %v", realm.Name, err)
	}
	u := sso.User{Username: "ada", Password: env.Credential(t, "password-"+name), Email: "ada@example.org", GivenName: "Ada", FamilyName: "Lovelace"}
	if err := kc.CreateUser(ctx, realm, u); err != nil {
		t.Fatalf("creating a user in realm %s: %v", realm.Name, err)
	}
	return kc, realm, client, u
}

// Port of the predecessor's health check: the master realm's public
// information answers through the ingress with the realm's RSA key and its
// token service under the run's domain (Keycloak's hostname and proxy
// settings hold), and the readiness endpoint on the management port (not
// routed: asked from inside the container, whose image has no curl, through
// bash's /dev/tcp) reports UP with its database check.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	resp := env.HTTP().Get(t, "/realms/master").WantStatus(t, http.StatusOK)
	ri, err := parseRealmInfo(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ri.Realm != "master" || ri.TokenService != masterIssuer(env)+"/protocol/openid-connect" {
		t.Errorf("realm %q, token service %q; want master at %s", ri.Realm, ri.TokenService, masterIssuer(env))
	}
	res := env.ExecShell(t, "app", `exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /health/ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3 && cat <&3`)
	if res.ExitCode != 0 {
		t.Fatalf("asking /health/ready on port 9000: exit %d: %s", res.ExitCode, res.Stderr)
	}
	h, err := parseHealthResponse(res.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	db := false
	for _, c := range h.Checks {
		db = db || strings.Contains(strings.ToLower(c.Name), "database") && c.Status == "UP"
	}
	if !db {
		t.Errorf("no database check UP among %+v (KC_HEALTH_ENABLED=true with a database reports one)", h.Checks)
	}
}

// Port of the predecessor's discovery check: the master realm's OpenID
// configuration names its issuer under the run's domain, endpoints under
// it, the code flow with PKCE S256 and the password grant.
func TestDiscovery(t *testing.T) {
	env := harness.Load(t)
	iss := masterIssuer(env)
	p, err := sso.Discover(t.Context(), env.HTTPClient(), iss)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Metadata
	if m.Issuer != iss {
		t.Errorf("issuer %q, want %q", m.Issuer, iss)
	}
	for name, ep := range map[string]string{"authorization": m.AuthorizationEndpoint, "token": m.TokenEndpoint, "userinfo": m.UserinfoEndpoint, "jwks": m.JWKSURI, "end_session": m.EndSessionEndpoint} {
		if !strings.HasPrefix(ep, iss+"/protocol/openid-connect/") {
			t.Errorf("%s endpoint %q is not under %s/protocol/openid-connect/", name, ep, iss)
		}
	}
	for _, g := range []string{"authorization_code", "password", "refresh_token", "client_credentials"} {
		if !m.SupportsGrant(g) {
			t.Errorf("grant %s not offered (grant_types_supported: %v)", g, m.GrantTypesSupported)
		}
	}
	if !strings.Contains(" "+strings.Join(m.CodeChallengeMethodsSupported, " ")+" ", " S256 ") {
		t.Errorf("PKCE S256 not offered: %v", m.CodeChallengeMethodsSupported)
	}
}

// Port of the predecessor's admin API test, beyond it: as the recipe's
// admin, a realm, a confidential client and a user are made through the
// admin REST API; the user is read back by username; the user logs in by
// the password grant (direct access grants), the ID token is verified and
// the userinfo endpoint names the user; a wrong password is refused.
func TestRealmClientUserLogin(t *testing.T) {
	env := harness.Load(t)
	ctx := t.Context()
	hc := env.HTTPClient()
	_, realm, client, u := testRealm(t, env, "api", env.BaseURL+"/rt-callback")

	// Read the user back through the admin API, as the admin.
	master, err := sso.Discover(ctx, hc, masterIssuer(env))
	if err != nil {
		t.Fatal(err)
	}
	adminUser, adminPassword := admin(t, env)
	adminTok, err := master.PasswordToken(ctx, sso.Client{ID: "admin-cli", Public: true, Issuer: masterIssuer(env)}, adminUser, adminPassword)
	if err != nil {
		t.Fatalf("the admin's token: %v", err)
	}
	q := url.Values{"username": {u.Username}, "exact": {"true"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.BaseURL+"/admin/realms/"+url.PathEscape(realm.Name)+"/users?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminTok.AccessToken)
	resp := env.HTTP().Do(t, req).WantStatus(t, http.StatusOK)
	users, err := parseUsers(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Username != u.Username || users[0].Email != u.Email || users[0].FirstName != u.GivenName ||
		users[0].LastName != u.FamilyName || !users[0].Enabled || !users[0].EmailVerified {
		t.Fatalf("the user read back: %+v, want %s <%s> %s %s, enabled, email verified", users, u.Username, u.Email, u.GivenName, u.FamilyName)
	}

	// Log in as the user.
	p, err := sso.Discover(ctx, hc, realm.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer() != env.BaseURL+"/realms/"+realm.Name {
		t.Errorf("the new realm's issuer %q is not under the run's domain", p.Issuer())
	}
	tok, err := p.PasswordToken(ctx, client, u.Username, u.Password)
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	if tok.IDToken == nil || tok.IDToken.Subject != users[0].ID {
		t.Errorf("ID token %+v, want one for subject %s", tok.IDToken, users[0].ID)
	}
	info, err := p.UserInfo(ctx, tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	if info.PreferredUsername != u.Username || info.Email != u.Email || info.Name != u.Name() || info.Subject != users[0].ID {
		t.Errorf("userinfo %+v, want %s <%s> %q", info, u.Username, u.Email, u.Name())
	}
	if _, err := p.PasswordToken(ctx, client, u.Username, "not-"+u.Password); err == nil {
		t.Error("a wrong password got tokens")
	} else if errors.Is(err, sso.ErrUnsupported) {
		t.Errorf("wrong password: %v", err)
	}
}

// In Chromium: a client's authorization request (code flow with PKCE)
// shows Keycloak's login page, which renders without console errors; the
// user logs in through the form and the browser comes back to the
// client's redirect URI with a code, exchanged for verified tokens.
func TestLoginInBrowser(t *testing.T) {
	env := harness.Load(t)
	ctx := t.Context()
	redirect := env.BaseURL + "/rt-callback"
	_, realm, client, u := testRealm(t, env, "browser", redirect)
	p, err := sso.Discover(ctx, env.HTTPClient(), realm.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.AuthCode(client, redirect)
	if err != nil {
		t.Fatal(err)
	}
	b := env.Browser(t)
	if status := b.Navigate(t, a.URL); status != http.StatusOK {
		t.Fatalf("the authorization request answered %d, want Keycloak's login page", status)
	}
	b.WaitVisible(t, "#kc-form-login")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on the login page: %v", errs)
	}
	b.Screenshot(t, "login-page")
	callback := sso.Login(t, b, sso.KeycloakLogin, u, redirect)
	tok, err := p.Finish(ctx, a, callback)
	if err != nil {
		t.Fatal(err)
	}
	if tok.IDToken == nil {
		t.Fatal("the code exchange returned no ID token (scope openid was asked for)")
	}
	var claims struct {
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
	}
	if err := tok.IDToken.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.PreferredUsername != u.Username || claims.Email != u.Email {
		t.Errorf("ID token claims %+v, want %s <%s>", claims, u.Username, u.Email)
	}
}
