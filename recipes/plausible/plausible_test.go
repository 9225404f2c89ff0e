// Package plausible holds the recipe tests of Co-op Cloud's plausible
// recipe (Plausible Analytics, community edition: the app, PostgreSQL for
// accounts and sites, ClickHouse for events): what recipe-test's custom
// stage runs against the deployed app. With plain `go test` only the
// parsing tests of the documented answers run; the others skip, since no
// app is deployed.
//
// Unverified here: no Plausible image can be built or pulled on the
// machines these tests were written on. The requests and the answers they
// read follow Plausible's documented Events API and Stats API v1.
package plausible

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// browserUA is a browser's User-Agent: Plausible drops events whose
// User-Agent is a bot's (and a request without one).
const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// provisioned is what the tests make once per run: an account, a site for
// the run's domain and a Stats API key.
var provisioned struct {
	once   sync.Once
	err    string
	site   string
	apiKey string
}

// elixirString quotes s as an Elixir string literal (letters, digits and
// the run domain's punctuation need no escapes; quotes and backslashes are
// escaped all the same).
func elixirString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `#`, `\#`).Replace(s) + `"`
}

// provision makes, through the release's remote console in the app's
// container (bin/plausible rpc, as an operator would), the account, the
// site and an API key the tests use, and returns the site and the key.
// Plausible has no API to make the first account or an API key: the web
// UI does both, behind a login.
func provision(t *testing.T, env *harness.Env) (site, apiKey string) {
	t.Helper()
	provisioned.once.Do(func() {
		site = env.Domain
		key := env.Credential(t, "api-key-1") + env.Credential(t, "api-key-2") + env.Credential(t, "api-key-3")
		code := strings.Join([]string{
			"email = " + elixirString("recipe-test@"+env.Domain),
			"password = " + elixirString(env.Credential(t, "password")),
			"domain = " + elixirString(site),
			"user = case Plausible.Auth.find_user_by(email: email) do",
			"  nil -> {:ok, u} = Plausible.Auth.create_user(\"recipe-test\", email, password); u",
			"  u -> u",
			"end",
			"case Plausible.Repo.get_by(Plausible.Site, domain: domain) do",
			"  nil -> {:ok, _} = Plausible.Sites.create(user, %{\"domain\" => domain, \"timezone\" => \"Etc/UTC\"})",
			"  _ -> :ok",
			"end",
			"{:ok, _} = Plausible.Auth.create_api_key(user, \"recipe-test\", " + elixirString(key) + ")",
			"IO.puts(\"recipe-test: provisioned\")",
		}, "\n")
		res := env.Exec(t, "app", "/app/bin/plausible", "rpc", code)
		if res.ExitCode != 0 || !strings.Contains(res.Stdout, "recipe-test: provisioned") {
			provisioned.err = "bin/plausible rpc (account, site, API key): exit " + strconv.Itoa(res.ExitCode) + ": " + res.Stdout + res.Stderr
			return
		}
		provisioned.site, provisioned.apiKey = site, key
	})
	if provisioned.err != "" {
		t.Fatal(provisioned.err)
	}
	return provisioned.site, provisioned.apiKey
}

// statsGet asks the Stats API with the key ("" for none).
func statsGet(t *testing.T, c *harness.Client, path, key string) *harness.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return c.Do(t, req)
}

// sendEvent posts an event to the Events API as the tracking script does,
// from a browser's User-Agent and a client address.
func sendEvent(t *testing.T, c *harness.Client, event map[string]any, clientIP string) *harness.Response {
	t.Helper()
	body, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, c.URL("/api/event"), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", browserUA)
	req.Header.Set("X-Forwarded-For", clientIP)
	return c.Do(t, req)
}

// Plausible's health endpoint reports both of its stores reachable.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	var h health
	env.HTTP().Get(t, "/api/health").WantStatus(t, http.StatusOK).JSON(t, &h)
	if h.Postgres != "ok" || h.Clickhouse != "ok" {
		t.Errorf("health: %+v", h)
	}
}

// The predecessor's test: a pageview sent to the Events API is counted by
// the Stats API (aggregate visitors and pageviews) and its page appears in
// the breakdown by page.
func TestEventRoundTrip(t *testing.T) {
	env := harness.Load(t)
	site, key := provision(t, env)
	c := env.HTTP()
	page := "/rt-" + strings.ToLower(env.Credential(t, "page")[:10])
	resp := sendEvent(t, c, map[string]any{"name": "pageview", "domain": site, "url": "https://" + site + page,
		"referrer": "https://example.org/", "screen_width": 1280}, "203.0.113.7")
	resp.WantStatus(t, http.StatusAccepted)

	// Events are buffered before they reach ClickHouse (a few seconds).
	harness.WaitUntil(t, 2*time.Minute, 3*time.Second, func() error {
		var b breakdown
		r := statsGet(t, c, "/api/v1/stats/breakdown?site_id="+site+"&period=day&property=event:page&metrics=visitors,pageviews", key)
		if r.Status != http.StatusOK {
			return &statusError{r}
		}
		r.JSON(t, &b)
		row, ok := b.row("page", page)
		if !ok {
			return &missingError{what: "page " + page + " in the breakdown", got: string(r.Body)}
		}
		if row["pageviews"] != float64(1) || row["visitors"] != float64(1) {
			t.Fatalf("breakdown row of %s: %v, want one pageview by one visitor", page, row)
		}
		return nil
	})
	var a aggregate
	r := statsGet(t, c, "/api/v1/stats/aggregate?site_id="+site+"&period=day&metrics=visitors,pageviews", key)
	r.WantStatus(t, http.StatusOK).JSON(t, &a)
	for _, m := range []string{"visitors", "pageviews"} {
		if v, err := a.metric(m); err != nil || v < 1 {
			t.Errorf("aggregate %s = %v, %v", m, v, err)
		}
	}
}

// The Stats API answers only with a valid key: none and a wrong one get
// 401 with the documented error body.
func TestStatsAPIRequiresKey(t *testing.T) {
	env := harness.Load(t)
	site, key := provision(t, env)
	c := env.HTTP()
	path := "/api/v1/stats/aggregate?site_id=" + site + "&period=day&metrics=visitors"
	for name, k := range map[string]string{"no key": "", "a wrong key": key[:len(key)-1] + "x"} {
		r := statsGet(t, c, path, k)
		var e apiError
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: %s, want 401", name, r)
			continue
		}
		r.JSON(t, &e)
		if e.Error == "" {
			t.Errorf("%s: no error message: %s", name, r)
		}
	}
	statsGet(t, c, path, key).WantStatus(t, http.StatusOK)
}

// The login page renders in Chromium without console errors.
func TestLoginPageInBrowser(t *testing.T) {
	env := harness.Load(t)
	b := env.Browser(t)
	if status := b.Navigate(t, "/login"); status != http.StatusOK {
		t.Fatalf("GET /login in the browser: %d", status)
	}
	b.WaitVisible(t, `input[name="email"]`)
	b.WaitVisible(t, `input[name="password"]`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "login")
}

// statusError is an answer with an unexpected status, for WaitUntil.
type statusError struct{ r *harness.Response }

func (e *statusError) Error() string { return e.r.String() }

// missingError is an answer that lacks what a test waits for.
type missingError struct{ what, got string }

func (e *missingError) Error() string { return "no " + e.what + " yet: " + e.got }
