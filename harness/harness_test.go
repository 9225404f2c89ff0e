package harness

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Without $RECIPE_TEST_FACTS, Load skips the test and says how to run it.
func TestLoadSkipsOutsideARun(t *testing.T) {
	t.Setenv(FactsEnv, "")
	r := capture(t, func(t testing.TB) {
		Load(t)
		t.Error("Load returned")
	})
	if !r.Skipped() || r.Failed() {
		t.Fatalf("skipped=%v failed=%v: %s", r.Skipped(), r.Failed(), r.message())
	}
	for _, want := range []string{"not run by recipe-test", "RECIPE_TEST_FACTS is unset", "recipe-test run --stages custom"} {
		if !strings.Contains(r.message(), want) {
			t.Errorf("skip message %q does not say %q", r.message(), want)
		}
	}
	// And a real test is reported as skipped.
	inner := t.Run("inner", func(t *testing.T) { Load(t) })
	if !inner {
		t.Error("the inner test failed instead of skipping")
	}
}

// A facts file that cannot be used fails the test, naming it.
func TestLoadFailsOnBadFacts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, tc := range map[string]struct{ path, want string }{
		"missing":     {filepath.Join(dir, "nope.json"), "no such file"},
		"not JSON":    {write("bad.json", "{"), "bad.json"},
		"incomplete":  {write("part.json", `{"domain":"a.test","base_url":"http://a.test"}`), "proxy_url are required"},
		"bad proxy":   {write("proxy.json", `{"domain":"a.test","base_url":"http://a.test","proxy_url":"127.0.0.1:80"}`), "not an absolute URL"},
		"not a facts": {write("array.json", `[]`), "array.json"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(FactsEnv, tc.path)
			r := capture(t, func(t testing.TB) { Load(t) })
			wantFailure(t, r, tc.want)
		})
	}
}

func TestEnvLookups(t *testing.T) {
	useFacts(t, &Facts{Recipe: "x", Domain: "x.test", BaseURL: "http://x.test", ProxyURL: "http://127.0.0.1:9",
		Services: map[string]string{"app": "x_test_app", "db": "x_test_db"}, Secrets: map[string]string{"db_password": "pw"},
		Dependencies: map[string]Dependency{"db": {Recipe: "postgres", Domain: "db.test", Outputs: map[string]string{"user": "app"}}}})
	env := Load(t)
	if got := env.Service(t, "app"); got != "x_test_app" {
		t.Errorf("Service(app) = %q", got)
	}
	if got := env.Secret(t, "db_password"); got != "pw" {
		t.Errorf("Secret = %q", got)
	}
	if got := env.Dependency(t, "db"); got.Domain != "db.test" || got.Outputs["user"] != "app" {
		t.Errorf("Dependency(db) = %+v", got)
	}
	wantFailure(t, capture(t, func(t testing.TB) { env.Service(t, "web") }), `no service "web"`, "app, db")
	wantFailure(t, capture(t, func(t testing.TB) { env.Secret(t, "nope") }), `secret "nope"`)
	wantFailure(t, capture(t, func(t testing.TB) { env.Dependency(t, "mail") }), `dependency "mail"`)
}

// A credential is stable per name within an Env, differs between names and
// Envs, and is announced for masking exactly once, before it is returned,
// through the run's mask file, never on the test's output.
func TestCredential(t *testing.T) {
	useFacts(t, &Facts{Recipe: "x", Domain: "x.test", BaseURL: "http://x.test", ProxyURL: "http://127.0.0.1:9"})
	env := Load(t)

	var wg sync.WaitGroup
	got := make([]string, 16)
	for i := range got {
		wg.Go(func() { got[i] = env.Credential(t, "admin") })
	}
	wg.Wait()
	admin, user := got[0], env.Credential(t, "user")
	for _, v := range got {
		if v != admin {
			t.Fatalf("Credential(admin) gave %q and %q", admin, v)
		}
	}
	if admin == user {
		t.Errorf("two names, one credential %q", admin)
	}
	announced, err := os.ReadFile(env.MaskFile)
	if want := admin + "\n" + user + "\n"; err != nil || string(announced) != want {
		t.Errorf("announced:\n%q (%v)\nwant:\n%q", announced, err, want)
	}
	other := Load(t)
	if other.Credential(t, "admin") == admin {
		t.Error("two Envs share a credential")
	}
	// Without a mask file the credential is refused, not made unmasked.
	other.MaskFile = ""
	if r := capture(t, func(t testing.TB) { other.Credential(t, "user") }); !r.Failed() || !strings.Contains(r.message(), "no mask file") {
		t.Errorf("no mask file: failed=%v %s", r.Failed(), r.message())
	}
}

func TestNewCredential(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c, err := newCredential(credentialLength)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != credentialLength || strings.Trim(c, credentialAlphabet) != "" {
			t.Fatalf("credential %q: want %d characters of %s", c, credentialLength, credentialAlphabet)
		}
		if !strings.ContainsAny(c, "abcdefghijkmnopqrstuvwxyz") || !strings.ContainsAny(c, "ABCDEFGHJKLMNPQRSTUVWXYZ") ||
			!strings.ContainsAny(c, "23456789") {
			t.Fatalf("credential %q lacks a lower-case letter, an upper-case letter or a digit", c)
		}
		if seen[c] {
			t.Fatalf("credential %q drawn twice", c)
		}
		seen[c] = true
	}
}

const fakeDomain = "app.harness.test"

// fakeApp is an httptest server that plays the run's ingress proxy and the
// app behind it at once: it answers proxy requests (absolute URLs) for
// fakeDomain only, and counts them by method and path.
type fakeApp struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newFakeApp(t *testing.T) *fakeApp {
	a := unstartedFakeApp()
	a.Start()
	t.Cleanup(a.Close)
	return a
}

// unstartedFakeApp makes a fakeApp that closes every connection after one
// request: the transport then never re-sends a request on a new connection
// by itself, so the counts are the Client's own attempts.
func unstartedFakeApp() *fakeApp {
	a := &fakeApp{hits: map[string]int{}}
	a.Server = httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	a.Config.SetKeepAlivesEnabled(false)
	return a
}

func (a *fakeApp) count(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits[key]
}

func (a *fakeApp) serve(w http.ResponseWriter, r *http.Request) {
	if !r.URL.IsAbs() || r.URL.Host != fakeDomain {
		http.Error(w, "not a proxy request for "+fakeDomain+": "+r.URL.String(), http.StatusTeapot)
		return
	}
	a.mu.Lock()
	a.hits[r.Method+" "+r.URL.Path]++
	n := a.hits[r.Method+" "+r.URL.Path]
	a.mu.Unlock()
	switch r.URL.Path {
	case "/flaky": // starting: two 503s, then fine
		if n <= 2 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	case "/gateway":
		if n <= 2 {
			http.Error(w, "no upstream", []int{http.StatusBadGateway, http.StatusGatewayTimeout}[n-1])
			return
		}
		io.WriteString(w, `{"ok":true}`)
	case "/down":
		http.Error(w, "down", http.StatusServiceUnavailable)
	case "/error":
		http.Error(w, "boom: "+strings.Repeat("x", 400)+"\nsecond line", http.StatusInternalServerError)
	case "/drop": // the request arrived; the connection drops without an answer
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	case "/echo":
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Method, body)
	case "/login":
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
		http.Redirect(w, r, "/me", http.StatusFound)
	case "/me":
		if c, err := r.Cookie("session"); err == nil && c.Value == "s1" {
			io.WriteString(w, "logged in")
			return
		}
		http.Error(w, "who are you?", http.StatusUnauthorized)
	default:
		http.Error(w, "no such page", http.StatusNotFound)
	}
}

// fakeEnv loads facts whose ingress is proxyURL, for fakeDomain.
func fakeEnv(t *testing.T, proxyURL string) *Env {
	t.Helper()
	useFacts(t, &Facts{Recipe: "fake", Domain: fakeDomain, BaseURL: "http://" + fakeDomain, ProxyURL: proxyURL, Out: t.TempDir()})
	return Load(t)
}

// fast returns c with short pauses between attempts.
func fast(c *Client) *Client {
	c.backoff = time.Millisecond
	return c
}

// The client goes through the ingress proxy; it retries 502/503/504 and
// network errors of idempotent requests, a bounded number of times, and
// never other statuses, nor a request that may have reached the app.
func TestHTTPRetriesWhatIsRetryable(t *testing.T) {
	app := newFakeApp(t)
	env := fakeEnv(t, app.URL)
	c := fast(env.HTTP())

	for _, tc := range []struct {
		method, path string
		header       string // an Idempotency-Key when set
		status       int
		sent         int
	}{
		{"GET", "/flaky", "", 200, 3},
		{"GET", "/gateway", "", 200, 3},
		{"PUT", "/flaky", "", 200, 3},
		{"DELETE", "/down", "", 503, defaultAttempts},
		{"GET", "/missing", "", 404, 1},
		{"GET", "/error", "", 500, 1},
		{"POST", "/flaky", "", 503, 1},
		{"PATCH", "/down", "", 503, 1},
		{"POST", "/down", "k1", 503, defaultAttempts},
	} {
		req, err := http.NewRequest(tc.method, c.URL(tc.path), strings.NewReader("body"))
		if err != nil {
			t.Fatal(err)
		}
		if tc.header != "" {
			req.Header.Set("Idempotency-Key", tc.header)
		}
		resp := c.Do(t, req)
		key := tc.method + " " + tc.path
		if resp.Status != tc.status || app.count(key) != tc.sent || resp.Attempts != tc.sent {
			t.Errorf("%s: %d after %d requests (Attempts %d), want %d after %d", key, resp.Status, app.count(key), resp.Attempts, tc.status, tc.sent)
		}
	}

	// A dropped connection is retried for GET, then fails the test, and a
	// POST is not sent again: it may have reached the app.
	r := capture(t, func(t testing.TB) { c.Get(t, "/drop") })
	wantFailure(t, r, "GET http://"+fakeDomain+"/drop", fmt.Sprintf("attempt %d", defaultAttempts))
	if n := app.count("GET /drop"); n != defaultAttempts {
		t.Errorf("GET /drop sent %d times, want %d", n, defaultAttempts)
	}
	r = capture(t, func(t testing.TB) { c.PostJSON(t, "/drop", map[string]string{"a": "b"}, nil) })
	wantFailure(t, r, "POST http://"+fakeDomain+"/drop", "not sent again")
	if n := app.count("POST /drop"); n != 1 {
		t.Errorf("POST /drop sent %d times, want 1", n)
	}
}

// A request whose connection to the ingress could not be opened was never
// sent: it is retried, a POST too, with its body.
func TestHTTPRetriesConnectFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there: connections are refused
	env := fakeEnv(t, "http://"+addr)

	// The ingress comes up 100 ms later, within the first pause (250 ms).
	up := make(chan *fakeApp, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			up <- nil
			return
		}
		a := unstartedFakeApp()
		a.Listener.Close()
		a.Listener = ln
		a.Start()
		up <- a
	}()
	resp := env.HTTP().PostJSON(t, "/echo", "payload", nil)
	app := <-up
	if app == nil {
		t.Skip("the port was taken in between")
	}
	defer app.Close()
	if resp.Status != 200 || resp.Text() != `POST "payload"` || resp.Attempts < 2 || app.count("POST /echo") != 1 {
		t.Errorf("POST after refused connections: %s after %d attempts, %d reached the app", resp, resp.Attempts, app.count("POST /echo"))
	}
}

// Failures name the request, the status and the start of the body, on one
// line.
func TestHTTPFailureMessages(t *testing.T) {
	app := newFakeApp(t)
	c := fast(fakeEnv(t, app.URL).HTTP())
	var out struct{ OK bool }
	r := capture(t, func(t testing.TB) { c.GetJSON(t, "/error", &out) })
	wantFailure(t, r, "GET http://"+fakeDomain+"/error: 500 Internal Server Error: boom: xxx", "…", "want 200")
	if strings.Contains(r.message(), "second line") || strings.Contains(r.message(), strings.Repeat("x", 350)) {
		t.Errorf("the whole body is in the message: %s", r.message())
	}
	r = capture(t, func(t testing.TB) { c.PostJSON(t, "/missing", 1, nil).WantStatus(t, 201, 200) })
	wantFailure(t, r, "POST http://"+fakeDomain+"/missing: 404 Not Found: no such page", "want 201 or 200")
	r = capture(t, func(t testing.TB) { c.Get(t, "/me").JSON(t, &out) })
	wantFailure(t, r, "/me: 401", "not the JSON wanted")

	c.GetJSON(t, "/flaky", &out)
	if !out.OK {
		t.Error("GetJSON did not decode")
	}
}

// Each session keeps its own cookies; a plain client keeps none. Without
// redirects, the redirect itself is returned.
func TestHTTPSessionsAndRedirects(t *testing.T) {
	app := newFakeApp(t)
	env := fakeEnv(t, app.URL)
	s := env.Session()
	if resp := s.Get(t, "/login"); resp.Status != 200 || resp.Text() != "logged in" || resp.URL != "http://"+fakeDomain+"/me" {
		t.Errorf("login through a redirect: %s", resp)
	}
	if resp := s.Get(t, "/me"); resp.Status != 200 {
		t.Errorf("the session lost its cookie: %s", resp)
	}
	if resp := env.Session().Get(t, "/me"); resp.Status != 401 {
		t.Errorf("another session shares the cookie: %s", resp)
	}
	if resp := env.HTTP().Get(t, "/login"); resp.Status != 401 {
		t.Errorf("a plain client kept the cookie: %s", resp)
	}
	resp := env.HTTP().WithoutRedirects().Get(t, "/login")
	if resp.Status != 302 || resp.Header.Get("Location") != "/me" {
		t.Errorf("without redirects: %s, Location %q", resp, resp.Header.Get("Location"))
	}
}

func TestHTTPInsecure(t *testing.T) {
	useFacts(t, &Facts{Domain: "x.test", BaseURL: "https://x.test", ProxyURL: "http://127.0.0.1:9", Insecure: true})
	if !Load(t).httpTransport().TLSClientConfig.InsecureSkipVerify {
		t.Error("insecure facts, verifying client")
	}
	useFacts(t, &Facts{Domain: "x.test", BaseURL: "https://x.test", ProxyURL: "http://127.0.0.1:9"})
	if Load(t).httpTransport().TLSClientConfig.InsecureSkipVerify {
		t.Error("secure facts, client that does not verify")
	}
}

func TestWaitUntil(t *testing.T) {
	n := 0
	WaitUntil(t, 5*time.Second, time.Millisecond, func() error {
		if n++; n < 3 {
			return fmt.Errorf("attempt %d", n)
		}
		return nil
	})
	if n != 3 {
		t.Errorf("checked %d times, want 3", n)
	}

	n = 0
	start := time.Now()
	r := capture(t, func(t testing.TB) {
		WaitUntil(t, 200*time.Millisecond, 20*time.Millisecond, func() error {
			n++
			return errors.New("not yet: attempt " + fmt.Sprint(n))
		})
	})
	took := time.Since(start)
	wantFailure(t, r, "still failing after 200ms", fmt.Sprintf("(%d attempts): not yet: attempt %d", n, n))
	if took < 200*time.Millisecond || took > 2*time.Second || n < 5 {
		t.Errorf("gave up after %s and %d attempts", took, n)
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"home":              "home",
		"TestX/sub page":    "TestX_sub_page",
		"../../etc/passwd":  ".._.._etc_passwd",
		"..":                "screenshot",
		"ünïcode-1.2_ok":    "_n_code-1.2_ok",
		"a\x00b":            "a_b",
		"login: 2nd (fail)": "login__2nd__fail_",
	} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
}
