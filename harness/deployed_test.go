package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// deployment is the example fixture recipe deployed for the harness tests,
// reached through a direct ingress, with its facts file.
type deployment struct {
	swarm *swarm.Client
	app   *recipe.App
	facts Facts
}

// deployExample deploys testdata/recipes/example as a run would, waits for
// it to converge, starts its ingress, and points $RECIPE_TEST_FACTS at its
// facts for t. When t ends, the ingress stops and the stack is removed,
// leaving nothing behind.
func deployExample(t *testing.T) *deployment {
	t.Helper()
	testenv.Swarm(t)
	testenv.FixtureImage(t, "webapp", "1")
	testenv.FixtureImage(t, "backend", "1")
	ctx := t.Context()
	c, err := swarm.Connect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := recipe.LoadDir(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	domain, err := naming.Domain("example", id, "harness.test")
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(recipe.ResolveOptions{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := c.Remove(ctx, app.Stack, func(s string) { t.Log(s) }); err != nil {
			t.Errorf("removing stack %s: %v", app.Stack, err)
		}
		swarmtest.AssertNoResidue(t, c.API, app.Stack)
		c.Close()
	})
	start := time.Now()
	dep, err := c.Deploy(ctx, app, swarm.DeployOptions{RunID: id})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if err := c.Converge(ctx, app, 3*time.Minute, func(s string) { t.Log(s) }); err != nil {
		t.Fatalf("converge: %v", err)
	}
	t.Logf("stack %s deployed and converged in %s", app.Stack, time.Since(start).Round(time.Millisecond))
	ing, err := ingress.NewDirect(ctx, app, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ing.Close() })

	f := Facts{Recipe: "example", Version: app.Version, Domain: app.Domain, BaseURL: ing.BaseURL(), Stack: app.Stack,
		Services: map[string]string{}, ProxyURL: ing.ProxyURL().String(), BrowserFlags: ing.BrowserFlags(),
		Secrets: map[string]string{}, Env: app.Env, Out: t.TempDir()}
	for _, s := range app.Services {
		f.Services[s.Name] = s.FullName
	}
	for _, s := range app.Secrets {
		if v, ok := dep.Secrets[s.FullName]; ok {
			f.Secrets[s.Name] = v
		}
	}
	useFacts(t, &f)
	return &deployment{swarm: c, app: app, facts: f}
}

// itemID returns a fresh item ID.
func itemID(t *testing.T, prefix string) string {
	t.Helper()
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + "-" + id
}

type item struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TestDeployedExample exercises the harness as recipe tests use it, against
// one deployment of the example recipe shared by its subtests.
func TestDeployedExample(t *testing.T) {
	d := deployExample(t)
	t.Run("HTTP", func(t *testing.T) { testHTTP(t) })
	t.Run("Retries", func(t *testing.T) { testRetries(t, d) })
	t.Run("WaitConverged", func(t *testing.T) { testWaitConverged(t, d) })
	t.Run("Exec", func(t *testing.T) { testExec(t) })
	t.Run("ReadFile", func(t *testing.T) { testReadFile(t) })
	t.Run("Bounds", func(t *testing.T) { testBounds(t, d) })
	t.Run("Browser", func(t *testing.T) { testBrowser(t) })
}

// The page, the info API and an item round trip, through the ingress.
func testHTTP(t *testing.T) {
	env := Load(t)
	c := env.HTTP()
	page := c.Get(t, "/").WantStatus(t, http.StatusOK)
	if ct := page.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(page.Text(), `<div id="app">`) {
		t.Errorf("GET /: Content-Type %q, body %q", ct, excerpt(page.Body))
	}

	var info struct {
		SecretLength     int  `json:"secret_length"`
		ConfigLoaded     bool `json:"config_loaded"`
		BackendReachable bool `json:"backend_reachable"`
	}
	c.GetJSON(t, "/api/info", &info)
	if want := len(env.Secret(t, "app_secret")); want == 0 || info.SecretLength != want || !info.ConfigLoaded || !info.BackendReachable {
		t.Errorf("/api/info = %+v, want the %d-character secret, the config and the backend", info, want)
	}

	in := item{ID: itemID(t, "http"), Name: "round trip", Value: env.Credential(t, "item-value")}
	var created item
	c.PostJSON(t, "/api/items", in, &created).WantStatus(t, http.StatusCreated)
	var got item
	c.GetJSON(t, "/api/items/"+in.ID, &got)
	if created != in || got != in {
		t.Errorf("created %+v, read back %+v, want %+v", created, got, in)
	}
	c.Delete(t, "/api/items/"+in.ID).WantStatus(t, http.StatusNoContent)
	c.Get(t, "/api/items/"+in.ID).WantStatus(t, http.StatusNotFound)
}

// countingProxy sits between the harness and the run's ingress: it counts
// the requests by method and path, and answers a given number of them
// with 503 itself (as an ingress does while a task restarts) before
// passing them on.
type countingProxy struct {
	*httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	fails map[string]int
}

func newCountingProxy(t *testing.T, ingressURL string) *countingProxy {
	t.Helper()
	up, err := url.Parse(ingressURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{hits: map[string]int{}, fails: map[string]int{}}
	forward := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.Out.Host = pr.In.Host }, // the URL is absolute already
		Transport: &http.Transport{Proxy: http.ProxyURL(up)},
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		p.mu.Lock()
		p.hits[key]++
		fail := p.fails[key] > 0
		if fail {
			p.fails[key]--
		}
		p.mu.Unlock()
		if fail {
			http.Error(w, "injected: restarting", http.StatusServiceUnavailable)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *countingProxy) failNext(key string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fails[key] = n
}

func (p *countingProxy) count(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[key]
}

// A 404 of the app is not retried; 503s on a GET are; a POST answered 503
// is not sent again (and the app never saw it).
func testRetries(t *testing.T, d *deployment) {
	p := newCountingProxy(t, d.facts.ProxyURL)
	f := d.facts
	f.ProxyURL = p.URL
	useFacts(t, &f)
	env := Load(t)
	c := env.HTTP()

	missing := "/api/items/" + itemID(t, "missing")
	resp := c.Get(t, missing).WantStatus(t, http.StatusNotFound)
	if n := p.count("GET " + missing); n != 1 || resp.Attempts != 1 || !strings.Contains(resp.Text(), "item not found") {
		t.Errorf("404: %s sent %d times (Attempts %d), want once, answered by the app", resp, n, resp.Attempts)
	}

	p.failNext("GET /api/info", 2)
	var info struct {
		Hostname string `json:"hostname"`
	}
	c.GetJSON(t, "/api/info", &info)
	if n := p.count("GET /api/info"); n != 3 || info.Hostname == "" {
		t.Errorf("GET /api/info through two 503s: sent %d times, want 3; answered %+v", n, info)
	}

	in := item{ID: itemID(t, "post503"), Name: "never"}
	p.failNext("POST /api/items", 1)
	resp = c.PostJSON(t, "/api/items", in, nil).WantStatus(t, http.StatusServiceUnavailable)
	if n := p.count("POST /api/items"); n != 1 || resp.Attempts != 1 {
		t.Errorf("POST answered 503 was sent %d times (Attempts %d), want once", n, resp.Attempts)
	}
	c.Get(t, "/api/items/"+in.ID).WantStatus(t, http.StatusNotFound)
}

// WaitConverged waits for a service that is scaled up, and fails, naming
// it, for a service that is not there.
func testWaitConverged(t *testing.T, d *deployment) {
	env := Load(t)
	env.WaitConverged(t, time.Minute)

	backend := env.Service(t, "backend")
	ctx := t.Context()
	svc, err := d.swarm.API.ServiceInspect(ctx, backend, client.ServiceInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := svc.Service.Spec
	two := uint64(2)
	spec.Mode.Replicated.Replicas = &two
	if _, err := d.swarm.API.ServiceUpdate(ctx, backend, client.ServiceUpdateOptions{Version: svc.Service.Version, Spec: spec}); err != nil {
		t.Fatal(err)
	}
	// The second task needs its healthcheck to pass before it runs.
	if err := env.converged(ctx, d.swarm.Client); err == nil || !strings.Contains(err.Error(), backend+": 1 of 2 tasks running") {
		t.Errorf("right after scaling up: %v, want the backend waiting", err)
	}
	start := time.Now()
	env.WaitConverged(t, 2*time.Minute)
	t.Logf("the second backend task ran after %s", time.Since(start).Round(time.Millisecond))
	res, err := d.swarm.API.ServiceList(ctx, client.ServiceListOptions{Filters: make(client.Filters).Add("name", backend), Status: true})
	if err != nil || len(res.Items) != 1 || res.Items[0].ServiceStatus.RunningTasks != 2 {
		t.Errorf("after WaitConverged: %+v %v, want 2 running backend tasks", res.Items, err)
	}

	f := d.facts
	f.Services = map[string]string{"ghost": f.Stack + "_ghost", "app": f.Services["app"]}
	useFacts(t, &f)
	ghost := Load(t)
	r := capture(t, func(t testing.TB) { ghost.WaitConverged(t, 2*time.Second) })
	wantFailure(t, r, "still failing after 2s", f.Stack+"_ghost: not deployed (service ghost)")
}

// Exec and ExecShell run in the app's container, with its environment.
func testExec(t *testing.T) {
	env := Load(t)
	id := itemID(t, "exec")
	value := env.Credential(t, "exec-value")
	res := env.Exec(t, "app", "/webapp", "item", "put", id, value)
	if res.ExitCode != 0 {
		t.Fatalf("webapp item put: %+v", res)
	}
	// The app's own CLI wrote to the store the server reads.
	WaitUntil(t, 10*time.Second, 100*time.Millisecond, func() error {
		var got item
		resp := env.HTTP().Get(t, "/api/items/"+id)
		if resp.Status != http.StatusOK {
			return &statusError{resp}
		}
		if err := json.Unmarshal(resp.Body, &got); err != nil || got.Value != value {
			return &statusError{resp}
		}
		return nil
	})

	res = env.ExecShell(t, "app", `echo "out $DATA_DIR"; echo err >&2; exit 3`)
	if res.ExitCode != 3 || res.Stdout != "out /data\n" || res.Stderr != "err\n" {
		t.Errorf("shell script: %+v, want exit 3, stdout %q, stderr %q", res, "out /data\n", "err\n")
	}
	if res := env.Exec(t, "backend", "/bin/busybox", "false"); res.ExitCode != 1 {
		t.Errorf("false in the backend: %+v", res)
	}

	wantFailure(t, capture(t, func(t testing.TB) { env.Exec(t, "app", "/no/such/binary") }), "exec in service app", "executable")
	wantFailure(t, capture(t, func(t testing.TB) { env.Exec(t, "web", "true") }), `no service "web"`, "app, backend")
}

// A command that never returns fails the test once the run's exec timeout
// is up, and a file larger than its read limit is not read.
func testBounds(t *testing.T, d *deployment) {
	f := d.facts
	f.ExecTimeoutS, f.MaxReadFile = 2, 1024
	useFacts(t, &f)
	env := Load(t)
	start := time.Now()
	wantFailure(t, capture(t, func(t testing.TB) { env.ExecShell(t, "app", "/bin/busybox sleep 3600") }), "exec shell in service app", "still running after 2s")
	wantFailure(t, capture(t, func(t testing.TB) { env.Exec(t, "app", "/bin/busybox", "sleep", "3600") }), "exec in service app", "still running after 2s")
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("two commands with a 2 s timeout took %s", d)
	}
	if res := env.ExecShell(t, "app", "/bin/busybox dd if=/dev/zero of=/data/big bs=1024 count=4 2>/dev/null"); res.ExitCode != 0 {
		t.Fatalf("dd: %+v", res)
	}
	wantFailure(t, capture(t, func(t testing.TB) { env.ReadFile(t, "app", "/data/big") }), "/data/big", "4096 bytes, larger than the read limit of 1024 bytes")
	if res := env.ExecShell(t, "app", "/bin/busybox dd if=/dev/zero of=/data/small bs=1024 count=1 2>/dev/null"); res.ExitCode != 0 {
		t.Fatalf("dd: %+v", res)
	}
	if got := env.ReadFile(t, "app", "/data/small"); len(got) != 1024 {
		t.Errorf("a file at the limit: %d bytes", len(got))
	}
}

// statusError reports a response a WaitUntil check did not want.
type statusError struct{ resp *Response }

func (e *statusError) Error() string { return e.resp.String() }

// ReadFile reads an item the app wrote on its volume, the secret and the
// config it was given, a file through a symbolic link, and fails for a
// directory and a missing file.
func testReadFile(t *testing.T) {
	env := Load(t)
	in := item{ID: itemID(t, "vol"), Name: "on the volume", Value: "v1"}
	env.HTTP().PostJSON(t, "/api/items", in, nil).WantStatus(t, http.StatusCreated)
	file := "/data/items/" + in.ID + ".json"
	data := env.ReadFile(t, "app", file)
	var got item
	if err := json.Unmarshal(data, &got); err != nil || got != in {
		t.Errorf("%s holds %q (%v), want %+v", file, data, err, in)
	}

	// Secrets and configs are mounts the archive API does not see.
	if got := env.ReadFile(t, "app", "/run/secrets/app_secret"); string(got) != env.Secret(t, "app_secret") {
		t.Errorf("the secret file holds %d bytes, not the facts' %d-character secret", len(got), len(env.Secret(t, "app_secret")))
	}
	if got := env.ReadFile(t, "app", "/etc/webapp/app.conf"); !strings.Contains(string(got), "domain="+env.Domain+"\n") {
		t.Errorf("the rendered config holds %q, want domain=%s", got, env.Domain)
	}

	link := "/data/link-" + in.ID
	if res := env.ExecShell(t, "app", "/bin/busybox ln -s items/"+in.ID+".json "+link); res.ExitCode != 0 {
		t.Fatalf("ln -s: %+v", res)
	}
	if got := env.ReadFile(t, "app", link); !bytes.Equal(got, data) {
		t.Errorf("through the link %s: %q, want %q", link, got, data)
	}

	wantFailure(t, capture(t, func(t testing.TB) { env.ReadFile(t, "app", "/data/items") }), "/data/items", "is a directory")
	wantFailure(t, capture(t, func(t testing.TB) { env.ReadFile(t, "app", "/data/nope") }), "/data/nope", "no such file")
	wantFailure(t, capture(t, func(t testing.TB) { env.ReadFile(t, "app", "data/x") }), "not an absolute path")
}

// The page renders in Chromium through the ingress, without console
// errors; errors are collected from the browser's start; a hanging action
// fails the test within its timeout; no Chromium process outlives the
// test.
func testBrowser(t *testing.T) {
	env := Load(t)
	var profile string
	t.Run("render", func(t *testing.T) {
		start := time.Now()
		b := env.Browser(t)
		profile = b.dir
		t.Logf("Chromium started in %s", time.Since(start).Round(time.Millisecond))
		if status := b.Navigate(t, "/"); status != http.StatusOK {
			t.Errorf("GET / in the browser: %d", status)
		}
		b.WaitVisible(t, `body[data-ready="true"]`)
		if got := b.Text(t, "#greeting"); got != "Hello from recipe-test" {
			t.Errorf("#greeting = %q", got)
		}
		if got := b.Text(t, "#status"); !strings.HasPrefix(got, "loaded ") || !strings.HasSuffix(got, " item(s)") {
			t.Errorf("#status = %q", got)
		}
		if errs := b.ConsoleErrors(); len(errs) > 0 {
			t.Errorf("console errors: %q", errs)
		}
		path := b.Screenshot(t, "example/home")
		if want := filepath.Join(env.Out, "screenshots", "example_home.png"); path != want {
			t.Errorf("screenshot at %s, want %s", path, want)
		}
		if png, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 1000 {
			t.Errorf("screenshot %s: %d bytes, %v", path, len(png), err)
		}
		t.Logf("rendered and captured in %s", time.Since(start).Round(time.Millisecond))
	})
	if profile == "" {
		t.Fatal("no browser")
	}
	if pids := profileProcesses(profile); len(pids) > 0 {
		t.Errorf("Chromium processes %v outlived their test", pids)
	}
	if _, err := os.Stat(profile); !os.IsNotExist(err) {
		t.Errorf("profile %s left behind: %v", profile, err)
	}

	t.Run("console errors", func(t *testing.T) {
		b := env.Browser(t)
		// A page that fails while it loads: the listener is there before.
		b.Navigate(t, `data:text/html,<script>console.error("early", 42); throw new Error("boom")</script>`)
		b.Do(t, "log an error", chromedp.Evaluate[chromedp.Void](`console.error("later"); Promise.reject(new Error("nobody catches"))`))
		WaitUntil(t, 5*time.Second, 50*time.Millisecond, func() error {
			got := strings.Join(b.ConsoleErrors(), "\n")
			for _, want := range []string{"console.error: early 42", "Uncaught Error: boom", "console.error: later", "Uncaught (in promise) Error: nobody catches"} {
				if !strings.Contains(got, want) {
					return &missingError{want, got}
				}
			}
			return nil
		})
		// The browser goes through the ingress, which serves the run's
		// domain only.
		if status := b.Navigate(t, "http://example.com/"); status != http.StatusForbidden {
			t.Errorf("another site through the ingress: %d, want 403", status)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		b := env.Browser(t)
		b.Navigate(t, "/")
		b.Timeout = 2 * time.Second
		start := time.Now()
		r := capture(t, func(t testing.TB) { b.WaitVisible(t, "#never-there") })
		wantFailure(t, r, "#never-there", "not done within 2s")
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("a 2s action failed after %s", took)
		}
	})
}

type missingError struct{ want, got string }

func (e *missingError) Error() string { return "no " + e.want + " in " + e.got }
