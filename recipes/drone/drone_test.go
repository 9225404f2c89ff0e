// Package drone holds the recipe tests of Co-op Cloud's drone recipe (the
// Drone CI server, logging its users in at a Gitea): what recipe-test's
// custom stage runs against the deployed app. With plain `go test` only
// the parsing tests of the documented answers run; the others skip, since
// no app is deployed.
//
// Unverified here: Drone's image cannot be built or pulled on the machines
// these tests were written on. The requests follow Drone's REST API
// reference; the answers they parse are recorded in testdata/ and
// unit-tested. They reach the API as the admin account the recipe makes at
// the first start (DRONE_USER_CREATE with the admin_token secret as its
// token).
package drone

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// api sends a request to Drone's API with a token ("" for none) and
// returns the answer.
func api(t *testing.T, c *harness.Client, method, path, token string, in any) *harness.Response {
	t.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.URL(path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.Do(t, req)
}

// adminToken is the admin account's API token: the recipe's admin_token
// secret.
func adminToken(t *testing.T, env *harness.Env) string {
	return strings.TrimSpace(env.Secret(t, "admin_token"))
}

// The server is up: /healthz answers 200.
func TestHealthz(t *testing.T) {
	env := harness.Load(t)
	env.HTTP().Get(t, "/healthz").WantStatus(t, http.StatusOK)
}

// The admin account made at the first start reaches the API with its
// token: GET /api/user is that admin.
func TestAdminAccount(t *testing.T) {
	env := harness.Load(t)
	var me user
	api(t, env.HTTP(), http.MethodGet, "/api/user", adminToken(t, env), nil).WantStatus(t, http.StatusOK).JSON(t, &me)
	if me.Login != env.Env["DRONE_ADMIN_USER"] || !me.Admin || me.Machine {
		t.Errorf("GET /api/user as the admin: %+v (DRONE_ADMIN_USER %q)", me, env.Env["DRONE_ADMIN_USER"])
	}
}

// An object made through the API and read back: the admin makes a machine
// account (what pipelines and bots use); it is listed, reads back by its
// login, its own token authenticates it, it may not administer, and it is
// gone once deleted.
func TestMachineAccountRoundTrip(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	admin := adminToken(t, env)
	login := "rt-bot-" + strings.ToLower(env.Credential(t, "bot")[:8])
	var made user
	api(t, c, http.MethodPost, "/api/users", admin, map[string]any{"login": login, "machine": true, "admin": false}).
		WantStatus(t, http.StatusOK).JSON(t, &made)
	deleted := false
	t.Cleanup(func() {
		if !deleted {
			api(t, c, http.MethodDelete, "/api/users/"+login, admin, nil)
		}
	})
	if made.Login != login || !made.Machine || made.Admin || made.Token == "" {
		t.Fatalf("POST /api/users: %+v", made)
	}

	var got user
	api(t, c, http.MethodGet, "/api/users/"+login, admin, nil).WantStatus(t, http.StatusOK).JSON(t, &got)
	if got.ID != made.ID || got.Login != login || !got.Machine || got.Token != "" {
		t.Errorf("GET /api/users/%s: %+v", login, got)
	}
	var all []user
	api(t, c, http.MethodGet, "/api/users", admin, nil).WantStatus(t, http.StatusOK).JSON(t, &all)
	found := false
	for _, u := range all {
		found = found || u.Login == login
	}
	if !found {
		t.Errorf("GET /api/users does not list %s: %+v", login, all)
	}

	var self user
	api(t, c, http.MethodGet, "/api/user", made.Token, nil).WantStatus(t, http.StatusOK).JSON(t, &self)
	if self.Login != login {
		t.Errorf("GET /api/user with the machine account's token: %+v", self)
	}
	if r := api(t, c, http.MethodGet, "/api/users", made.Token, nil); r.Status != http.StatusForbidden {
		t.Errorf("GET /api/users as a machine account that is not an admin: %s, want 403", r)
	}

	api(t, c, http.MethodDelete, "/api/users/"+login, admin, nil).WantStatus(t, http.StatusOK, http.StatusNoContent)
	deleted = true
	if r := api(t, c, http.MethodGet, "/api/users/"+login, admin, nil); r.Status != http.StatusNotFound {
		t.Errorf("GET /api/users/%s after the delete: %s, want 404", login, r)
	}
}

// The API refuses requests without a valid token.
func TestAPIRequiresToken(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	for name, tok := range map[string]string{"no token": "", "a wrong token": "rt-wrong-" + env.Credential(t, "wrong")} {
		if r := api(t, c, http.MethodGet, "/api/user", tok, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("GET /api/user with %s: %s, want 401", name, r)
		}
	}
}

// The web UI loads in Chromium. An anonymous visitor's UI asks /api/user,
// which answers 401 by design: that one failed request is expected.
func TestWebUIInBrowser(t *testing.T) {
	env := harness.Load(t)
	b := env.Browser(t)
	if status := b.Navigate(t, "/"); status != http.StatusOK {
		t.Fatalf("GET / in the browser: %d", status)
	}
	b.WaitVisible(t, "#root > *")
	var errs []string
	for _, e := range b.ConsoleErrors() {
		if !strings.Contains(e, "401") {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "home")
}
