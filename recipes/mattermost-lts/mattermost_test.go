// Package mattermostlts holds the recipe tests of Co-op Cloud's
// mattermost-lts recipe (Mattermost Team Edition on an extended-support
// release, with PostgreSQL): what recipe-test's custom stage runs against
// the deployed app. With plain `go test` only the parsing tests of the
// documented answers run; the others skip, since no app is deployed.
//
// Unverified here: no Mattermost image can be built or pulled on the
// machines these tests were written on. The requests and the answers they
// read follow Mattermost's REST API v4 reference.
package mattermostlts

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// admin is the first account, made once per run as the documentation says
// the first account is made (a sign-up through POST /api/v4/users, which
// makes it the system admin), and its session token.
var admin struct {
	once     sync.Once
	err      string
	user     user
	password string
	token    string
}

// api sends a REST API v4 request with the session token ("" for none) and
// a JSON body (nil for none).
func api(t *testing.T, c *harness.Client, method, path, token string, in any) *harness.Response {
	t.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.URL("/api/v4"+path), bytes.NewReader(body))
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

// firstAdmin makes the first account and logs it in, once per run.
func firstAdmin(t *testing.T, env *harness.Env) (user, string) {
	t.Helper()
	admin.once.Do(func() {
		admin.err = "the first account was not made: its test stopped before it was" // until it is
		c := env.HTTP()
		password := env.Credential(t, "admin-password")
		r := api(t, c, http.MethodPost, "/users", "", map[string]string{
			"email": "rt-admin@" + env.Domain, "username": "rtadmin", "password": password,
		})
		var u user
		if r.Status != http.StatusCreated {
			admin.err = "creating the first account: " + r.String()
			return
		}
		r.JSON(t, &u)
		if !u.hasRole("system_admin") {
			admin.err = "the first account is not the system admin: roles " + u.Roles
			return
		}
		r = api(t, c, http.MethodPost, "/users/login", "", map[string]string{"login_id": "rtadmin", "password": password})
		if r.Status != http.StatusOK || r.Header.Get("Token") == "" {
			admin.err = "logging the first account in: " + r.String()
			return
		}
		admin.user, admin.password, admin.token, admin.err = u, password, r.Header.Get("Token"), ""
	})
	if admin.err != "" {
		t.Fatal(admin.err)
	}
	return admin.user, admin.token
}

// The server answers its ping with OK.
func TestSystemPing(t *testing.T) {
	env := harness.Load(t)
	var p ping
	env.HTTP().Get(t, "/api/v4/system/ping").WantStatus(t, http.StatusOK).JSON(t, &p)
	if p.Status != "OK" {
		t.Errorf("ping %+v", p)
	}
}

// The predecessor's test: a team, a channel in it and a message in the
// channel made through API v4, and the message read back by its id and in
// the channel's posts.
func TestTeamChannelMessageRoundTrip(t *testing.T) {
	env := harness.Load(t)
	me, token := firstAdmin(t, env)
	c := env.HTTP()
	suffix := strings.ToLower(env.Credential(t, "names")[:10])

	var tm team
	api(t, c, http.MethodPost, "/teams", token, map[string]string{"name": "rt-" + suffix, "display_name": "recipe-test " + suffix, "type": "O"}).
		WantStatus(t, http.StatusCreated).JSON(t, &tm)
	if tm.ID == "" || tm.Name != "rt-"+suffix {
		t.Fatalf("team %+v", tm)
	}
	var byName team
	api(t, c, http.MethodGet, "/teams/name/"+tm.Name, token, nil).WantStatus(t, http.StatusOK).JSON(t, &byName)
	if byName.ID != tm.ID {
		t.Errorf("team by name: %+v, want id %s", byName, tm.ID)
	}

	var ch channel
	api(t, c, http.MethodPost, "/channels", token, map[string]string{"team_id": tm.ID, "name": "rt-chan-" + suffix, "display_name": "recipe-test channel", "type": "O"}).
		WantStatus(t, http.StatusCreated).JSON(t, &ch)
	if ch.ID == "" || ch.TeamID != tm.ID || ch.CreatorID != me.ID {
		t.Fatalf("channel %+v (team %s, creator %s)", ch, tm.ID, me.ID)
	}

	message := "hello from recipe-test " + env.Credential(t, "message")[:12]
	var p post
	api(t, c, http.MethodPost, "/posts", token, map[string]string{"channel_id": ch.ID, "message": message}).
		WantStatus(t, http.StatusCreated).JSON(t, &p)
	if p.ID == "" || p.ChannelID != ch.ID || p.UserID != me.ID || p.Message != message {
		t.Fatalf("post %+v", p)
	}

	var byID post
	api(t, c, http.MethodGet, "/posts/"+p.ID, token, nil).WantStatus(t, http.StatusOK).JSON(t, &byID)
	if byID.Message != message || byID.ChannelID != ch.ID {
		t.Errorf("post by id: %+v", byID)
	}
	var l postList
	api(t, c, http.MethodGet, "/channels/"+ch.ID+"/posts", token, nil).WantStatus(t, http.StatusOK).JSON(t, &l)
	got, err := l.find(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Message != message || got.UserID != me.ID {
		t.Errorf("the channel's post: %+v", got)
	}
}

// The API answers only with a session: no token and a wrong password get
// 401 with Mattermost's error body; the admin's token reads its account.
func TestAPIRequiresSession(t *testing.T) {
	env := harness.Load(t)
	me, token := firstAdmin(t, env)
	c := env.HTTP()
	var e appError
	api(t, c, http.MethodGet, "/users/me", "", nil).WantStatus(t, http.StatusUnauthorized).JSON(t, &e)
	if e.StatusCode != http.StatusUnauthorized || e.ID == "" {
		t.Errorf("no session: %+v", e)
	}
	e = appError{}
	api(t, c, http.MethodPost, "/users/login", "", map[string]string{"login_id": "rtadmin", "password": admin.password + "x"}).
		WantStatus(t, http.StatusUnauthorized).JSON(t, &e)
	if e.ID == "" {
		t.Errorf("a wrong password: %+v", e)
	}
	var u user
	api(t, c, http.MethodGet, "/users/me", token, nil).WantStatus(t, http.StatusOK).JSON(t, &u)
	if u.ID != me.ID || u.Username != "rtadmin" {
		t.Errorf("/users/me: %+v, want %s", u, me.ID)
	}
}

// The login page renders in Chromium without console errors.
func TestLoginPageInBrowser(t *testing.T) {
	env := harness.Load(t)
	b := env.Browser(t)
	if status := b.Navigate(t, "/login"); status != http.StatusOK {
		t.Fatalf("GET /login in the browser: %d", status)
	}
	b.WaitVisible(t, `#input_loginId`)
	b.WaitVisible(t, `input[type="password"]`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "login")
}
