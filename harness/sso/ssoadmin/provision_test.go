package ssoadmin

import (
	"net/http"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	hc := http.DefaultClient
	for _, tc := range []struct {
		backend string
		c       Credentials
		want    string // the backend, or a part of the error
	}{
		{"keycloak", Credentials{Password: "pw"}, "keycloak"},
		{"keycloak", Credentials{User: "root", Password: "pw"}, "keycloak"},
		{"keycloak", Credentials{Token: "t"}, "not a token"},
		{"keycloak", Credentials{}, "user and password"},
		{"authentik", Credentials{Token: "t"}, "authentik"},
		{"authentik", Credentials{Password: "pw"}, "API token"},
		{"fixture", Credentials{Token: "t"}, "fixture"},
		{"fixture", Credentials{}, "API token"},
		{"zitadel", Credentials{Token: "t"}, `no admin backend "zitadel" (backends: [keycloak authentik fixture])`},
	} {
		a, err := Open(tc.backend, hc, "https://idp.example", tc.c)
		if err != nil {
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%s, %+v): %v, want %q", tc.backend, tc.c, err, tc.want)
			}
			continue
		}
		if a.Backend() != tc.want {
			t.Errorf("Open(%s, %+v) = %s backend, want %s", tc.backend, tc.c, a.Backend(), tc.want)
		}
	}
	if k, _ := Open("keycloak", hc, "https://kc.example/", Credentials{Password: "pw"}); k.(*Keycloak).username != "admin" {
		t.Errorf("keycloak's default administrator is %q, want admin", k.(*Keycloak).username)
	}
}

func TestRandomPassword(t *testing.T) {
	a, err := RandomPassword()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RandomPassword()
	if len(a) != 24 || a == b || strings.ContainsAny(a, "+/=\"' ") {
		t.Errorf("passwords %q and %q", a, b)
	}
}
