package ghost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// The API version the requests ask for (Ghost's Accept-Version header).
const acceptVersion = "v6.0"

// keys are the API keys of the integration the tests use: the Admin API
// key "<id>:<secret>" and the Content API key.
type keys struct {
	Admin   string
	Content string
}

// run is what the tests of one run share: the integration's keys, found
// or made once (by the first test that needs them; a failure is every
// test's).
var run struct {
	once sync.Once
	keys keys
	err  error
}

// request sends a request to the app with Ghost's headers, a body encoded
// as JSON unless nil, and returns the answer whatever its status.
func request(t *testing.T, c *harness.Client, method, path string, hdr http.Header, in any) *harness.Response {
	t.Helper()
	var body bytes.Buffer
	if in != nil {
		if err := json.NewEncoder(&body).Encode(in); err != nil {
			t.Fatal(err)
		}
	}
	// Not ended with the test's context: a cleanup (deleting a post) runs
	// after it; Do bounds the request, and ends it with the test while the
	// test runs.
	req, err := http.NewRequestWithContext(context.WithoutCancel(t.Context()), method, c.URL(path), &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Version", acceptVersion)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	return c.Do(t, req)
}

// originOf is the site's origin as its configured url says (https).
func originOf(env *harness.Env) string { return "https://" + env.Domain }

// setUp reports whether Ghost has its owner (the setup endpoint's status).
func setUp(t *testing.T, env *harness.Env) bool {
	t.Helper()
	var status struct {
		Setup []struct {
			Status bool `json:"status"`
		} `json:"setup"`
	}
	request(t, env.HTTP(), http.MethodGet, "/ghost/api/admin/authentication/setup/", nil, nil).WantStatus(t, http.StatusOK).JSON(t, &status)
	if len(status.Setup) != 1 {
		t.Fatalf("setup status: %+v", status)
	}
	return status.Setup[0].Status
}

// makeIntegration sets Ghost up as its documentation says: the owner made
// through the setup endpoint, the owner's first staff session (a cookie,
// with the site's Origin, which Ghost checks), and in it a custom
// integration, whose keys it returns. The cookie is carried here rather
// than in a cookie jar: Ghost marks it Secure (the site's url is https),
// and a jar would not send it over the direct ingress's plain HTTP.
func makeIntegration(t *testing.T, env *harness.Env) keys {
	t.Helper()
	email, password := "rt-owner@"+env.Domain, env.Credential(t, "owner-password")
	in := map[string]any{"setup": []map[string]string{{"name": "recipe-test", "email": email, "password": password, "blogTitle": "recipe-test " + env.Domain}}}
	var users struct {
		Users []struct {
			Email string `json:"email"`
		} `json:"users"`
	}
	request(t, env.HTTP(), http.MethodPost, "/ghost/api/admin/authentication/setup/", nil, in).WantStatus(t, http.StatusCreated).JSON(t, &users)
	if len(users.Users) != 1 || users.Users[0].Email != email {
		t.Fatalf("setup made %+v, want the owner %s", users.Users, email)
	}

	session := http.Header{"Origin": {originOf(env)}}
	r := request(t, env.HTTP(), http.MethodPost, "/ghost/api/admin/session/", session, map[string]string{"username": email, "password": password}).
		WantStatus(t, http.StatusCreated)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "ghost-admin-api-session" {
			session.Set("Cookie", c.Name+"="+c.Value)
		}
	}
	if session.Get("Cookie") == "" {
		t.Fatalf("the staff session answered without a ghost-admin-api-session cookie: %s", r)
	}

	var out struct {
		Integrations []struct {
			ID      string `json:"id"`
			APIKeys []struct {
				ID     string `json:"id"`
				Type   string `json:"type"`
				Secret string `json:"secret"`
			} `json:"api_keys"`
		} `json:"integrations"`
	}
	in = map[string]any{"integrations": []map[string]string{{"name": integrationName(env)}}}
	request(t, env.HTTP(), http.MethodPost, "/ghost/api/admin/integrations/?include=api_keys", session, in).
		WantStatus(t, http.StatusCreated).JSON(t, &out)
	if len(out.Integrations) != 1 {
		t.Fatalf("integrations: %+v", out)
	}
	var k keys
	for _, key := range out.Integrations[0].APIKeys {
		switch key.Type {
		case "admin":
			// Ghost shows the admin key whole, "<id>:<secret>", as its
			// secret.
			if !strings.HasPrefix(key.Secret, key.ID+":") {
				t.Fatalf("the admin key %s of integration %s is not shown as <id>:<secret>", key.ID, out.Integrations[0].ID)
			}
			k.Admin = key.Secret
		case "content":
			k.Content = key.Secret
		}
	}
	if k.Admin == "" || k.Content == "" {
		t.Fatalf("integration %s has no admin and content keys: %d keys", out.Integrations[0].ID, len(out.Integrations[0].APIKeys))
	}
	return k
}

// integrationName is the name of the run's integration, the same for the
// backup seed hook (recipe.toml) and the tests.
func integrationName(env *harness.Env) string { return "recipe-test " + env.Domain }

// storedKeys reads the keys of the run's integration from Ghost's database,
// with the image's own SQLite driver in the app's container: the backup
// seed hook set Ghost up and made the integration before the tests ran
// (Ghost has one owner, and holds every session after the owner's first
// one until a code sent by email is entered, so the tests cannot make
// another), and the database is where Ghost keeps its keys.
func storedKeys(t *testing.T, env *harness.Env) keys {
	t.Helper()
	const script = `cd /var/lib/ghost/current && node -e '
const db = new (require("better-sqlite3"))(process.env.database__connection__filename, { readonly: true })
const q = "select k.id, k.type, k.secret from api_keys k join integrations i on i.id = k.integration_id where i.name = ?"
console.log(JSON.stringify(db.prepare(q).all(process.argv[1])))
' `
	r := env.ExecShell(t, "app", script+shellQuote(integrationName(env)))
	if r.ExitCode != 0 {
		t.Fatalf("reading the integration's keys from Ghost's database: exit %d: %s", r.ExitCode, r.Output())
	}
	var rows []struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &rows); err != nil {
		t.Fatalf("the integration's keys from Ghost's database: %v", err)
	}
	var k keys
	for _, row := range rows {
		switch row.Type {
		case "admin":
			k.Admin = row.ID + ":" + row.Secret
		case "content":
			k.Content = row.Secret
		}
	}
	if k.Admin == "" || k.Content == "" {
		t.Fatalf("Ghost is set up, but its database has no integration %q with an admin and a content key (%d keys): did the backup seed hook run?", integrationName(env), len(rows))
	}
	return k
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// integrationKeys returns the keys of the run's integration: the one the
// backup seed hook made when Ghost is set up, else one made now.
func integrationKeys(t *testing.T, env *harness.Env) keys {
	t.Helper()
	run.once.Do(func() {
		ok := t.Run("integration", func(t *testing.T) {
			if !setUp(t, env) {
				run.keys = makeIntegration(t, env)
				return
			}
			run.keys = storedKeys(t, env)
		})
		if !ok {
			run.err = fmt.Errorf("finding or making the run's integration failed (see its subtest)")
		}
	})
	if run.err != nil {
		t.Fatal(run.err)
	}
	return run.keys
}

// adminAuth is the Authorization header of an Admin API request.
func adminAuth(t *testing.T, key string) http.Header {
	t.Helper()
	tok, err := AdminToken(key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Authorization": {"Ghost " + tok}}
}

// post is what the tests read of a post.
type post struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Slug   string `json:"slug"`
	Status string `json:"status"`
	HTML   string `json:"html"`
	URL    string `json:"url"`
}

type posts struct {
	Posts []post `json:"posts"`
}

// createPost publishes a post through the Admin API and deletes it when the
// test ends.
func createPost(t *testing.T, env *harness.Env, k keys, title, html string) post {
	t.Helper()
	var out posts
	in := posts{Posts: []post{{Title: title, HTML: html, Status: "published"}}}
	request(t, env.HTTP(), http.MethodPost, "/ghost/api/admin/posts/?source=html", adminAuth(t, k.Admin), in).
		WantStatus(t, http.StatusCreated).JSON(t, &out)
	if len(out.Posts) != 1 || out.Posts[0].ID == "" {
		t.Fatalf("created posts: %+v", out)
	}
	p := out.Posts[0]
	t.Cleanup(func() {
		r := request(t, env.HTTP(), http.MethodDelete, "/ghost/api/admin/posts/"+p.ID+"/", adminAuth(t, k.Admin), nil)
		if r.Status != http.StatusNoContent {
			t.Errorf("deleting post %s: %s", p.ID, r)
		}
	})
	return p
}

// runWord is a word unique to the run and the test.
func runWord(t *testing.T, env *harness.Env, what string) string {
	return "rt" + what + strings.ToLower(env.Credential(t, what)[:10])
}

// The predecessor's test: a post created through the Admin API (a JWT
// signed with an integration's admin key) reads back through the Admin API
// with what it was made with, and through the Content API (the public read
// path themes and clients use).
func TestPostRoundTrip(t *testing.T) {
	env := harness.Load(t)
	k := integrationKeys(t, env)
	word := runWord(t, env, "roundtrip")
	title := "Round trip " + word
	p := createPost(t, env, k, title, "<p>Written by recipe-test: "+word+"</p>")
	if p.Title != title || p.Status != "published" || p.Slug == "" {
		t.Errorf("the created post: %+v", p)
	}

	var got posts
	request(t, env.HTTP(), http.MethodGet, "/ghost/api/admin/posts/"+p.ID+"/?formats=html", adminAuth(t, k.Admin), nil).
		WantStatus(t, http.StatusOK).JSON(t, &got)
	if len(got.Posts) != 1 || got.Posts[0].ID != p.ID || got.Posts[0].Title != title || got.Posts[0].Status != "published" ||
		!strings.Contains(got.Posts[0].HTML, word) {
		t.Errorf("post %s read back through the Admin API: %+v", p.ID, got.Posts)
	}

	var pub posts
	env.HTTP().GetJSON(t, "/ghost/api/content/posts/slug/"+p.Slug+"/?"+url.Values{"key": {k.Content}}.Encode(), &pub)
	if len(pub.Posts) != 1 || pub.Posts[0].ID != p.ID || pub.Posts[0].Title != title || !strings.Contains(pub.Posts[0].HTML, word) {
		t.Errorf("post %s read back through the Content API: %+v", p.ID, pub.Posts)
	}
	if want := originOf(env) + "/" + p.Slug + "/"; pub.Posts[0].URL != want {
		t.Errorf("post %s's url %q, want %q (the site's configured url)", p.ID, pub.Posts[0].URL, want)
	}
}

// The Admin API refuses a request without a token, a token signed with the
// wrong secret, and the Content API a wrong key.
func TestAPIRequiresAuth(t *testing.T) {
	env := harness.Load(t)
	k := integrationKeys(t, env)
	c := env.HTTP()
	request(t, c, http.MethodGet, "/ghost/api/admin/posts/", nil, nil).WantStatus(t, http.StatusForbidden)
	id, _, _ := strings.Cut(k.Admin, ":")
	forged := id + ":" + strings.Repeat("0", 64)
	request(t, c, http.MethodGet, "/ghost/api/admin/posts/", adminAuth(t, forged), nil).WantStatus(t, http.StatusUnauthorized)
	request(t, c, http.MethodGet, "/ghost/api/admin/posts/", adminAuth(t, k.Admin), nil).WantStatus(t, http.StatusOK)
	request(t, c, http.MethodGet, "/ghost/api/content/posts/?key="+strings.Repeat("0", 26), nil, nil).WantStatus(t, http.StatusUnauthorized)
}

// The site renders a published post: its page answers 200 with the title,
// the home page links to it, and Chromium shows the title and the body.
func TestPostRendersOnSite(t *testing.T) {
	env := harness.Load(t)
	k := integrationKeys(t, env)
	word := runWord(t, env, "render")
	title := "Rendered " + word
	p := createPost(t, env, k, title, `<p>Body of `+word+`</p>`)

	page := env.HTTP().Get(t, "/"+p.Slug+"/").WantStatus(t, http.StatusOK)
	if !strings.Contains(page.Text(), title) {
		t.Errorf("the post's page does not hold its title:\n%s", page)
	}
	home := env.HTTP().Get(t, "/").WantStatus(t, http.StatusOK)
	if !strings.Contains(home.Text(), "/"+p.Slug+"/") {
		t.Errorf("the home page does not link to /%s/:\n%s", p.Slug, home)
	}

	b := env.Browser(t)
	if st := b.Navigate(t, "/"+p.Slug+"/"); st != http.StatusOK {
		t.Fatalf("the post's page in Chromium: status %d", st)
	}
	// The default theme's article: the title as its h1, the body in its
	// content section.
	if got := b.Text(t, "h1"); got != title {
		t.Errorf("the page's h1 %q, want %q", got, title)
	}
	if got := b.Text(t, "section.gh-content"); !strings.Contains(got, "Body of "+word) {
		t.Errorf("the post's content section %q lacks its body", got)
	}
	b.Screenshot(t, "ghost-post")
}
