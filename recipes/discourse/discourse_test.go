// Package discourse holds the recipe tests of Co-op Cloud's discourse recipe
// (Discourse with a Sidekiq worker, PostgreSQL and Redis): what
// recipe-test's custom stage runs against the deployed app. With plain
// `go test` only the parsing tests of the documented answers run; the
// others skip, since no app is deployed.
//
// Unverified here: no Discourse image can be built or pulled on the
// machines these tests were written on. The requests and the answers they
// read follow Discourse's API reference (https://docs.discourse.org/).
package discourse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// apiUsername is the account the API key acts as: Discourse's own system
// user, an admin every site has.
const apiUsername = "system"

// makeKey is the Ruby the suite runs with `rails runner` in the app's
// container: a global API key (any user, all scopes) made as the system
// user, printed once, as Discourse's console shows a key once, when it is
// made.
const makeKey = `k = ApiKey.create!(description: "recipe-test", created_by_id: Discourse::SYSTEM_USER_ID); puts "api_key=#{k.key}"`

// apiKey is made once per run.
var apiKey struct {
	once sync.Once
	err  string
	key  string
}

// adminKey makes the API key in the app's container, once per run.
func adminKey(t *testing.T, env *harness.Env) string {
	t.Helper()
	apiKey.once.Do(func() {
		apiKey.err = "the API key was not made: its test stopped before it was" // until it is
		r := env.ExecShell(t, "app", "cd /opt/bitnami/discourse && RAILS_ENV=production bundle exec rails runner '"+makeKey+"'")
		if r.ExitCode != 0 {
			apiKey.err = fmt.Sprintf("rails runner making the API key: exit %d: %s", r.ExitCode, r.Stderr)
			return
		}
		key, err := parseAPIKey(r.Stdout)
		if err != nil {
			apiKey.err = err.Error() + "; stderr: " + r.Stderr
			return
		}
		apiKey.key, apiKey.err = key, ""
	})
	if apiKey.err != "" {
		t.Fatal(apiKey.err)
	}
	return apiKey.key
}

// api sends a request with the key ("" for none) as the system user and a
// JSON body (nil for none).
func api(t *testing.T, c *harness.Client, method, path, key string, in any) *harness.Response {
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
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Api-Key", key)
		req.Header.Set("Api-Username", apiUsername)
	}
	return c.Do(t, req)
}

// The app answers its status check, the recipe's healthcheck.
func TestStatus(t *testing.T) {
	env := harness.Load(t)
	r := env.HTTP().Get(t, "/srv/status").WantStatus(t, http.StatusOK)
	if strings.TrimSpace(r.Text()) != "ok" {
		t.Errorf("/srv/status: %q", r.Text())
	}
}

// The predecessor's test: a topic made through the API as the system user,
// read back as a topic with its first post and as that post's Markdown.
func TestTopicRoundTrip(t *testing.T) {
	env := harness.Load(t)
	key := adminKey(t, env)
	c := env.HTTP()
	word := strings.ToLower(env.Credential(t, "topic")[:12])
	// Discourse's defaults refuse titles under 15 characters and first posts
	// under 20.
	title := "A topic made by recipe-test " + word
	raw := "This topic was made by recipe-test to read it back: " + word + "."

	var created post
	api(t, c, http.MethodPost, "/posts.json", key, newTopic{Title: title, Raw: raw}).
		WantStatus(t, http.StatusOK).JSON(t, &created)
	if created.ID == 0 || created.TopicID == 0 || created.PostNumber != 1 || created.Username != apiUsername {
		t.Fatalf("created %+v", created)
	}

	var tp topic
	api(t, c, http.MethodGet, fmt.Sprintf("/t/%d.json", created.TopicID), key, nil).WantStatus(t, http.StatusOK).JSON(t, &tp)
	if tp.ID != created.TopicID || tp.Title != title || tp.PostsCount != 1 {
		t.Errorf("topic %+v", tp)
	}
	first, err := tp.firstPost()
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != created.ID || !strings.Contains(first.Cooked, word) {
		t.Errorf("the topic's first post %+v", first)
	}

	var single post
	api(t, c, http.MethodGet, fmt.Sprintf("/posts/%d.json", created.ID), key, nil).WantStatus(t, http.StatusOK).JSON(t, &single)
	if single.Raw != raw || single.TopicID != created.TopicID {
		t.Errorf("post %d: %+v", created.ID, single)
	}
}

// The API acts only for a key it knows: a wrong key is refused with
// invalid_access, and a title too short with 422, both creating nothing.
func TestAPIRefusesWrongKeyAndShortTitle(t *testing.T) {
	env := harness.Load(t)
	key := adminKey(t, env)
	c := env.HTTP()
	wrong := "0" + key[1:]
	if key[0] == '0' {
		wrong = "1" + key[1:]
	}
	var e apiError
	api(t, c, http.MethodPost, "/posts.json", wrong, newTopic{Title: "A topic nobody may post here", Raw: "This post must be refused by Discourse."}).
		WantStatus(t, http.StatusForbidden).JSON(t, &e)
	if e.ErrorType != "invalid_access" {
		t.Errorf("a wrong key: %+v", e)
	}
	e = apiError{}
	api(t, c, http.MethodPost, "/posts.json", key, newTopic{Title: "short", Raw: "This post's title is too short for Discourse."}).
		WantStatus(t, http.StatusUnprocessableEntity).JSON(t, &e)
	if len(e.Errors) == 0 {
		t.Errorf("a short title: %+v", e)
	}
}

// The login page renders in Chromium without console errors.
func TestLoginPageInBrowser(t *testing.T) {
	env := harness.Load(t)
	b := env.Browser(t)
	if status := b.Navigate(t, "/login"); status != http.StatusOK {
		t.Fatalf("GET /login in the browser: %d", status)
	}
	b.WaitVisible(t, `#login-account-name`)
	b.WaitVisible(t, `#login-account-password`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "login")
}
