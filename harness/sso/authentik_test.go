package sso

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestAuthentikRealmClientUser(t *testing.T) {
	f := newFakeAuthentik(t)
	ctx := t.Context()
	a := NewAuthentik(f.Client(), f.URL+"/", f.token)
	realm, err := a.CreateRealm(ctx, "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := a.CreateClient(ctx, realm, ClientSpec{ID: "App", RedirectURIs: []string{"https://app.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := a.CreateClient(ctx, realm, ClientSpec{ID: "spa", Public: true, RedirectURIs: []string{"https://spa.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CreateUser(ctx, realm, testUser); err != nil {
		t.Fatal(err)
	}

	f.mu.Lock()
	if want := f.URL + "/application/o/rt-1-app/"; conf.Issuer != want || conf.ID != "App" || conf.Secret == "" {
		t.Errorf("confidential client %+v, want issuer %s and the secret authentik made", conf, want)
	}
	if pub.Secret != "" || pub.Issuer != f.URL+"/application/o/rt-1-spa/" {
		t.Errorf("public client %+v", pub)
	}
	if len(f.providers) != 2 || len(f.apps) != 2 || len(f.users) != 1 {
		t.Fatalf("authentik holds providers %v, applications %v, users %v", f.providers, f.apps, f.users)
	}
	app := f.apps["rt-1-app"]
	prov := f.providers[int(app["provider"].(float64))]
	uris := asList(prov["redirect_uris"])
	uri, _ := uris[0].(map[string]any)
	if prov["client_type"] != "confidential" || prov["client_id"] != "App" || prov["name"] != "rt-1-app" ||
		len(uris) != 1 || uri["matching_mode"] != "strict" || uri["url"] != "https://app.example/cb" ||
		prov["authorization_flow"] != f.flows[0]["pk"] || prov["invalidation_flow"] != f.flows[2]["pk"] ||
		prov["signing_key"] != f.keypairs[0]["pk"] || len(asList(prov["property_mappings"])) != 3 {
		t.Errorf("provider sent as %v", prov)
	}
	if f.providers[int(f.apps["rt-1-spa"]["provider"].(float64))]["client_type"] != "public" {
		t.Errorf("public client sent as %v", f.providers)
	}
	for pk, u := range f.users {
		if u["username"] != "ada" || u["name"] != "Ada Lovelace" || u["is_active"] != true || u["path"] != "recipe-test/rt-1" || f.passwords[pk] != testUser.Password {
			t.Errorf("user sent as %v, password set: %t", u, f.passwords[pk] == testUser.Password)
		}
	}
	f.mu.Unlock()

	if err := a.DeleteRealm(ctx, realm); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.providers)+len(f.apps)+len(f.users) != 0 {
		t.Errorf("left after DeleteRealm: providers %v, applications %v, users %v", f.providers, f.apps, f.users)
	}
}

func TestAuthentikErrors(t *testing.T) {
	f := newFakeAuthentik(t)
	ctx := t.Context()
	if _, err := NewAuthentik(f.Client(), f.URL, "wrong").CreateRealm(ctx, "Not A Slug"); err == nil || !strings.Contains(err.Error(), "slug") {
		t.Errorf("realm name that is no slug: %v", err)
	}
	var apiErr *APIError
	bad := NewAuthentik(f.Client(), f.URL, "wrong")
	realm, _ := bad.CreateRealm(ctx, "r")
	if _, err := bad.CreateClient(ctx, realm, ClientSpec{ID: "c"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden || !strings.Contains(err.Error(), "Token invalid") {
		t.Errorf("wrong token: %v", err)
	}

	a := NewAuthentik(f.Client(), f.URL, f.token)
	if _, err := a.CreateClient(ctx, realm, ClientSpec{ID: "c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateClient(ctx, realm, ClientSpec{ID: "c"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "slug already exists") {
		t.Errorf("second client of the same id: %v", err)
	}
	// The provider of the refused application is deleted with the realm.
	if err := a.DeleteRealm(ctx, realm); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	if len(f.providers)+len(f.apps) != 0 {
		t.Errorf("left: providers %v, applications %v", f.providers, f.apps)
	}
	// Without authentik's default flow, the error names it.
	f.flows = f.flows[1:]
	f.mu.Unlock()
	if _, err := a.CreateClient(ctx, realm, ClientSpec{ID: "d"}); err == nil || !strings.Contains(err.Error(), "default-provider-authorization-implicit-consent") {
		t.Errorf("without the default authorization flow: %v", err)
	}
	if err := a.CreateUser(ctx, realm, User{Username: "x"}); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("user without a password: %v", err)
	}
}
