package sso

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

var testUser = User{Username: "ada", Password: "correct-horse-battery", Email: "ada@example.org", GivenName: "Ada", FamilyName: "Lovelace"}

func TestKeycloakRealmClientUser(t *testing.T) {
	f := newFakeKeycloak(t)
	ctx := t.Context()
	k := NewKeycloak(f.Client(), f.URL, f.adminUser, f.adminPassword)
	realm, err := k.CreateRealm(ctx, "recipe-test")
	if err != nil {
		t.Fatal(err)
	}
	if want := f.URL + "/realms/recipe-test"; realm.Issuer != want {
		t.Errorf("realm issuer %q, want %q", realm.Issuer, want)
	}

	conf, err := k.CreateClient(ctx, realm, ClientSpec{ID: "app", RedirectURIs: []string{"https://app.example/cb"}, PostLogoutRedirectURIs: []string{"https://app.example/", "https://app.example/bye"}})
	if err != nil {
		t.Fatal(err)
	}
	given, err := k.CreateClient(ctx, realm, ClientSpec{ID: "given", Secret: "a-secret-we-chose-01"})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := k.CreateClient(ctx, realm, ClientSpec{ID: "spa", Public: true, RedirectURIs: []string{"https://spa.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.CreateUser(ctx, realm, testUser); err != nil {
		t.Fatal(err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	rm := f.realms["recipe-test"]
	byID := map[string]map[string]any{}
	for _, c := range rm.clients {
		byID[c["clientId"].(string)] = c
	}
	// The secret Keycloak made is read back; a given one is kept.
	if conf.Secret == "" || conf.Secret != byID["app"]["secret"] || conf.Issuer != realm.Issuer {
		t.Errorf("confidential client %+v, Keycloak holds secret %v", conf, byID["app"]["secret"])
	}
	if given.Secret != "a-secret-we-chose-01" || byID["given"]["secret"] != "a-secret-we-chose-01" {
		t.Errorf("client with a given secret: %+v, Keycloak holds %v", given, byID["given"]["secret"])
	}
	if pub.Secret != "" || byID["spa"]["publicClient"] != true || byID["spa"]["secret"] != nil || byID["spa"]["serviceAccountsEnabled"] != false {
		t.Errorf("public client %+v sent as %v", pub, byID["spa"])
	}
	app := byID["app"]
	attrs, _ := app["attributes"].(map[string]any)
	if app["protocol"] != "openid-connect" || app["standardFlowEnabled"] != true || app["directAccessGrantsEnabled"] != true ||
		app["serviceAccountsEnabled"] != true || app["clientAuthenticatorType"] != "client-secret" ||
		attrs["pkce.code.challenge.method"] != "S256" || attrs["post.logout.redirect.uris"] != "https://app.example/##https://app.example/bye" {
		t.Errorf("confidential client sent as %v", app)
	}
	if uris, _ := app["redirectUris"].([]any); len(uris) != 1 || uris[0] != "https://app.example/cb" {
		t.Errorf("redirectUris sent as %v", app["redirectUris"])
	}
	if len(rm.users) != 1 {
		t.Fatalf("users in the realm: %v", rm.users)
	}
	for _, u := range rm.users {
		creds, _ := u["credentials"].([]any)
		cred, _ := creds[0].(map[string]any)
		if u["username"] != "ada" || u["enabled"] != true || u["emailVerified"] != true || u["firstName"] != "Ada" || u["lastName"] != "Lovelace" ||
			len(creds) != 1 || cred["type"] != "password" || cred["value"] != testUser.Password || cred["temporary"] != false {
			t.Errorf("user sent as %v", u)
		}
	}

	// The admin token was asked for once and reused.
	if n := countPrefix(f.requests, "POST /realms/master/protocol/openid-connect/token"); n != 1 {
		t.Errorf("admin token requested %d times, want once: %v", n, f.requests)
	}

	f.mu.Unlock()

	// The realm's users log in by the password grant (generic OIDC path).
	p, err := Discover(ctx, f.Client(), realm.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PasswordToken(ctx, conf, testUser.Username, testUser.Password, "profile"); err != nil {
		t.Errorf("password grant: %v", err)
	}
	if _, err := p.PasswordToken(ctx, conf, testUser.Username, "wrong", "profile"); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("password grant with a wrong password: %v, want invalid_grant", err)
	}

	if err := k.DeleteRealm(ctx, realm); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	if f.realms["recipe-test"] != nil {
		t.Error("the realm is still there after DeleteRealm")
	}
}

func countPrefix(l []string, p string) int {
	n := 0
	for _, s := range l {
		if strings.HasPrefix(s, p) {
			n++
		}
	}
	return n
}

func TestKeycloakErrors(t *testing.T) {
	f := newFakeKeycloak(t)
	ctx := t.Context()

	bad := NewKeycloak(f.Client(), f.URL, "admin", "wrong")
	if _, err := bad.CreateRealm(ctx, "r"); err == nil || !strings.Contains(err.Error(), "admin token for admin") || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("wrong admin password: %v", err)
	}

	k := NewKeycloak(f.Client(), f.URL+"/", f.adminUser, f.adminPassword)
	realm, err := k.CreateRealm(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *APIError
	if _, err := k.CreateRealm(ctx, "r"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict || !strings.Contains(err.Error(), "POST /realms") {
		t.Errorf("second realm of the same name: %v", err)
	}
	if _, err := k.CreateClient(ctx, realm, ClientSpec{ID: "c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateClient(ctx, realm, ClientSpec{ID: "c"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict || !strings.Contains(err.Error(), "Client c already exists") {
		t.Errorf("second client of the same id: %v", err)
	}
	if _, err := k.CreateClient(ctx, &Realm{Name: "missing"}, ClientSpec{ID: "c"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("client in a missing realm: %v", err)
	}
	noEmail := testUser
	noEmail.Email = ""
	if err := k.CreateUser(ctx, realm, noEmail); err == nil || !strings.Contains(err.Error(), "email") {
		t.Errorf("user without an email: %v", err)
	}
	if n := countPrefix(f.log(), "POST /admin/realms/r/users"); n != 0 {
		t.Errorf("an incomplete user was sent: %v", f.log())
	}
	if err := k.CreateUser(ctx, realm, testUser); err != nil {
		t.Fatal(err)
	}
	if err := k.CreateUser(ctx, realm, testUser); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Errorf("second user of the same name: %v", err)
	}
	if err := k.DeleteRealm(ctx, &Realm{Name: "missing"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("deleting a missing realm: %v", err)
	}
	if !slices.Contains(f.log(), "DELETE /admin/realms/missing") {
		t.Errorf("requests: %v", f.log())
	}
}
