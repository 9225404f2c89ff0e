package swarm

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// deploySuffix keeps these tests' stacks apart from everyone else's.
const deploySuffix = "deploy.test"

func TestDeployExample(t *testing.T) {
	c, r, app, runID := deployFixture(t, "example")
	ctx := t.Context()
	logf := func(m string) { t.Log(m) }

	start := time.Now()
	dep, err := c.Deploy(ctx, app, DeployOptions{RunID: runID, Progress: logf})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	deployed := time.Since(start)
	if err := c.Converge(ctx, app, 60*time.Second, logf); err != nil {
		t.Fatalf("converge: %v", err)
	}
	t.Logf("timing: deploy %s, converge %s, total %s", deployed.Round(time.Millisecond),
		(time.Since(start) - deployed).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	sec := appSecret(t, app, "app_secret")
	value := dep.Secrets[sec.FullName]
	if len(value) != sec.Length || sec.Length != 32 || !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(value) {
		t.Errorf("secret %s: %d alnum characters wanted, got %d", sec.FullName, sec.Length, len(value))
	}
	appSvc, _ := app.Service("app")
	info := appInfo(t, c, appSvc.FullName)
	if info.SecretLength != sec.Length || !info.ConfigLoaded || !info.BackendReachable {
		t.Errorf("/api/info = %+v: want the %d-character secret, the config and the backend", info, sec.Length)
	}
	checkRunLabels(t, c, app, runID)

	// A redeploy of the same app is an in-place update that restarts nothing.
	before := serviceVersions(t, c, app)
	dep2, err := c.Deploy(ctx, app, DeployOptions{RunID: runID, Secrets: dep.Secrets, Progress: logf})
	if err != nil {
		t.Fatalf("redeploy: %v", err)
	}
	if dep2.Secrets[sec.FullName] != value {
		t.Errorf("redeploy did not keep secret %s", sec.FullName)
	}
	for name, v := range serviceVersions(t, c, app) {
		if v.id != before[name].id || v.version <= before[name].version {
			t.Errorf("service %s: %+v before, %+v after the redeploy: want the same service, updated", name, before[name], v)
		}
	}
	if err := c.Converge(ctx, app, 60*time.Second, logf); err != nil {
		t.Fatalf("converge after redeploy: %v", err)
	}
	if again := appInfo(t, c, appSvc.FullName); again.Hostname != info.Hostname {
		t.Errorf("the redeploy replaced the app's task (%s, then %s)", info.Hostname, again.Hostname)
	}

	// An upgrade that changes the app's task: Converge must wait for the
	// new task (which sleeps before it listens), not see the old one.
	if err := r.Set("upgrade", `COMPOSE_FILE="$COMPOSE_FILE:compose.slow.yml"`, "SLOW_START=3s"); err != nil {
		t.Fatal(err)
	}
	upgraded := resolveAgain(t, r, app.Domain)
	start = time.Now()
	if _, err := c.Deploy(ctx, upgraded, DeployOptions{RunID: runID, Secrets: dep.Secrets, Progress: logf}); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if err := c.Converge(ctx, upgraded, 60*time.Second, logf); err != nil {
		t.Fatalf("converge after upgrade: %v", err)
	}
	t.Logf("timing: upgrade deploy+converge %s", time.Since(start).Round(time.Millisecond))
	if time.Since(start) < 3*time.Second {
		t.Errorf("converged %s after the upgrade: before the new task could listen", time.Since(start))
	}
	after := appInfo(t, c, appSvc.FullName)
	if after.Hostname == info.Hostname || after.SecretLength != sec.Length {
		t.Errorf("after the upgrade /api/info = %+v: want a new task with the same secret", after)
	}
}

func TestDeployErrorsNameTheObject(t *testing.T) {
	t.Run("missing external network", func(t *testing.T) {
		c, _, app, runID := deployFixture(t, "example")
		n := app.Compose.Networks["proxy"]
		n.Name = "no-such-net-" + runID
		app.Compose.Networks["proxy"] = n
		_, err := c.Deploy(t.Context(), app, DeployOptions{RunID: runID})
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "no-such-net-"+runID) {
			t.Errorf("want an error naming the network, got %v", err)
		}
	})
	t.Run("secret not to generate", func(t *testing.T) {
		c, _, app, runID := deployFixture(t, "example")
		app.Secrets[0].Generate = false
		_, err := c.Deploy(t.Context(), app, DeployOptions{RunID: runID})
		t.Log(err)
		if !errors.Is(err, errNoValue) || !strings.Contains(err.Error(), app.Secrets[0].FullName) {
			t.Errorf("want an error naming secret %s, got %v", app.Secrets[0].FullName, err)
		}
	})
}

// deployFixture connects, resolves a fixture recipe for a fresh domain and
// registers the removal of its stack.
func deployFixture(t *testing.T, fixture string) (*Client, *recipe.Recipe, *recipe.App, string) {
	t.Helper()
	testenv.Swarm(t)
	testenv.FixtureImage(t, "webapp", "1")
	testenv.FixtureImage(t, "backend", "1")
	c, err := Connect(t.Context(), slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	r, err := recipe.LoadDir(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", fixture))
	if err != nil {
		t.Fatal(err)
	}
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	domain, err := naming.Domain(fixture, id, deploySuffix)
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(recipe.ResolveOptions{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		removeDeployedStack(t, c, app.Stack)
		c.Close()
	})
	return c, r, app, id
}

// resolveAgain resolves r anew for domain, after a change such as
// recipe.Set.
func resolveAgain(t *testing.T, r *recipe.Recipe, domain string) *recipe.App {
	t.Helper()
	app, err := r.Resolve(recipe.ResolveOptions{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func appSecret(t *testing.T, app *recipe.App, name string) recipe.Secret {
	t.Helper()
	for _, s := range app.Secrets {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no secret %s in %+v", name, app.Secrets)
	return recipe.Secret{}
}

type webappInfo struct {
	Hostname         string `json:"hostname"`
	SecretLength     int    `json:"secret_length"`
	ConfigLoaded     bool   `json:"config_loaded"`
	BackendReachable bool   `json:"backend_reachable"`
}

// appInfo asks the webapp fixture for /api/info at its task's gateway address.
func appInfo(t *testing.T, c *Client, service string) webappInfo {
	t.Helper()
	addr, err := c.TaskAddress(t.Context(), service)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr.String(), "172.") {
		t.Fatalf("task address %s is not on docker_gwbridge", addr)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(fmt.Sprintf("http://%s:8080/api/info", addr))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info webappInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/api/info: %s, %v", resp.Status, err)
	}
	return info
}

type serviceVersion struct {
	id      string
	version uint64
}

func serviceVersions(t *testing.T, c *Client, app *recipe.App) map[string]serviceVersion {
	t.Helper()
	out := map[string]serviceVersion{}
	for _, s := range app.Services {
		res, err := c.API.ServiceInspect(t.Context(), s.FullName, client.ServiceInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out[s.FullName] = serviceVersion{res.Service.ID, res.Service.Version.Index}
	}
	return out
}
