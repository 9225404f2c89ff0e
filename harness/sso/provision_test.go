package sso

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// provisionPlan is a realm with a confidential client and two users, the
// first without a password (Provision makes one).
func provisionPlan(redirect string) Plan {
	bob := User{Username: "bob", Password: "bob-chose-this-password", Email: "bob@example.org", GivenName: "Bob", FamilyName: "Builder"}
	ada := testUser
	ada.Password = ""
	return Plan{Realm: "rt", Client: ClientSpec{ID: "docs", RedirectURIs: []string{redirect}}, Users: []User{ada, bob}}
}

// checkProvisioned checks what every backend's Provision returns.
func checkProvisioned(t *testing.T, got *Provisioned, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if got.Realm == nil || got.Realm.Name != "rt" || got.Client.ID != "docs" || got.Client.Secret == "" || got.Client.Issuer == "" {
		t.Fatalf("provisioned %+v", got)
	}
	if len(got.Users) != 2 || got.Users[0].Username != "ada" || len(got.Users[0].Password) != 24 || got.Users[1].Password != "bob-chose-this-password" {
		t.Fatalf("users %+v: want ada with a made 24-character password, bob with his own", got.Users)
	}
}

// Keycloak: the realm, its client and users, through the admin REST API;
// the made password is the one Keycloak holds (the user logs in with it).
func TestProvisionKeycloak(t *testing.T) {
	f := newFakeKeycloak(t)
	ctx := t.Context()
	admin, err := Open("keycloak", f.Client(), f.URL, Credentials{Password: f.adminPassword}) // user "admin" by default
	if err != nil {
		t.Fatal(err)
	}
	got, err := Provision(ctx, admin, provisionPlan("https://docs.example/*"))
	checkProvisioned(t, got, err)
	if got.Client.Issuer != f.URL+"/realms/rt" || got.Realm.Issuer != got.Client.Issuer {
		t.Errorf("issuer %q", got.Client.Issuer)
	}
	p, err := Discover(ctx, f.Client(), got.Client.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range got.Users {
		if _, err := p.PasswordToken(ctx, got.Client, u.Username, u.Password, "profile"); err != nil {
			t.Errorf("%s logs in with the provisioned password: %v", u.Username, err)
		}
	}
}

// authentik: an OAuth2 provider and application per client, users under
// the realm's path with their passwords set.
func TestProvisionAuthentik(t *testing.T) {
	f := newFakeAuthentik(t)
	admin, err := Open("authentik", f.Client(), f.URL, Credentials{Token: f.token})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Provision(t.Context(), admin, provisionPlan("https://docs.example/callback"))
	checkProvisioned(t, got, err)
	if got.Client.Issuer != f.URL+"/application/o/rt-docs/" {
		t.Errorf("issuer %q", got.Client.Issuer)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	set := map[string]bool{}
	for _, pw := range f.passwords {
		set[pw] = true
	}
	for _, u := range got.Users {
		if !set[u.Password] {
			t.Errorf("authentik holds no password %s set for %s", strings.Repeat("*", len(u.Password)), u.Username)
		}
	}
}

// The fixture, run here: the client gets tokens, the made password logs
// ada in.
func TestProvisionFixture(t *testing.T) {
	lp := startProvider(t)
	ctx := t.Context()
	hc := &http.Client{Timeout: 10 * time.Second}
	admin, err := Open("fixture", hc, lp.issuer, Credentials{Token: lp.adminToken})
	if err != nil {
		t.Fatal(err)
	}
	redirect := lp.issuer + "/test-callback"
	got, err := Provision(ctx, admin, provisionPlan(redirect))
	checkProvisioned(t, got, err)
	p, err := Discover(ctx, hc, got.Client.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ClientCredentialsToken(ctx, got.Client); err != nil {
		t.Errorf("client credentials of the provisioned client: %v", err)
	}
	a, err := p.AuthCode(got.Client, redirect)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := httpLogin(ctx, a, "ada", got.Users[0].Password); err != nil {
		t.Errorf("ada logs in with the made password: %v", err)
	}
}

// A failure names what failed and returns what was made, which the
// caller may delete.
func TestProvisionError(t *testing.T) {
	f := newFakeKeycloak(t)
	ctx := t.Context()
	admin, err := Open("keycloak", f.Client(), f.URL, Credentials{User: f.adminUser, Password: f.adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	plan := provisionPlan("https://docs.example/*")
	plan.Users[1].Email = "" // Keycloak would ask for it at the first login
	got, err := Provision(ctx, admin, plan)
	if err == nil || !strings.Contains(err.Error(), "user bob in realm rt: sso: keycloak: user \"bob\" needs") {
		t.Fatalf("err = %v", err)
	}
	if got == nil || got.Realm == nil || len(got.Users) != 1 {
		t.Fatalf("made so far: %+v", got)
	}
	if err := admin.DeleteRealm(ctx, got.Realm); err != nil {
		t.Fatal(err)
	}
	if _, err := Provision(ctx, admin, Plan{Realm: "master"}); err == nil || !strings.Contains(err.Error(), "realm master:") {
		t.Errorf("an existing realm: %v", err)
	}
	var apiErr *APIError
	if _, err := Provision(ctx, admin, Plan{Realm: "master"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Errorf("the API's error is kept: %v", err)
	}
}
