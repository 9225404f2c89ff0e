// Package example holds the recipe tests of the bundled example recipe:
// what recipe-test's custom stage runs against the deployed app. Run them
// with `recipe-test run --recipe example --stages custom`; with plain
// `go test` they skip, since no app is deployed.
package example

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// Port of the predecessor's health check: the app answers /health over its
// domain, through the run's ingress.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	resp := env.HTTP().Get(t, "/health")
	if resp.Status != http.StatusOK || strings.TrimSpace(string(resp.Body)) != "ok" {
		t.Fatalf("GET /health: %d %q", resp.Status, resp.Body)
	}
}

// An item created through the API reads back identical, is listed, and is
// gone after deletion.
func TestItemRoundTrip(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	id := "rt-" + strings.ToLower(env.Credential(t, "item-id")[:8])
	in := map[string]string{"id": id, "name": "round trip", "value": env.Credential(t, "item-value")}
	var created map[string]string
	if resp := c.PostJSON(t, "/api/items", in, &created); resp.Status != http.StatusCreated {
		t.Fatalf("POST /api/items: %d %s", resp.Status, resp.Body)
	}
	var got map[string]string
	c.GetJSON(t, "/api/items/"+id, &got)
	if got["id"] != id || got["name"] != in["name"] || got["value"] != in["value"] {
		t.Fatalf("read back %v, want %v", got, in)
	}
	var list []map[string]string
	c.GetJSON(t, "/api/items", &list)
	found := false
	for _, it := range list {
		found = found || it["id"] == id
	}
	if !found {
		t.Errorf("item %s not listed in %v", id, list)
	}
	req, _ := http.NewRequest(http.MethodDelete, env.BaseURL+"/api/items/"+id, nil)
	if resp := c.Do(t, req); resp.Status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", resp.Status, resp.Body)
	}
	if resp := c.Get(t, "/api/items/"+id); resp.Status != http.StatusNotFound {
		t.Errorf("after DELETE, GET answered %d", resp.Status)
	}
}

// The page is HTML, the API JSON.
func TestContentTypes(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	for path, want := range map[string]string{"/": "text/html", "/api/info": "application/json"} {
		resp := c.Get(t, path)
		if ct := resp.Header.Get("Content-Type"); resp.Status != http.StatusOK || !strings.HasPrefix(ct, want) {
			t.Errorf("GET %s: %d, Content-Type %q, want %s", path, resp.Status, ct, want)
		}
	}
}

// Distinctive feature: the app reaches its backend over the stack's
// internal network, reads the generated secret and the templated config,
// and keeps its items on the data volume.
func TestBackendSecretConfigAndVolume(t *testing.T) {
	env := harness.Load(t)
	var info struct {
		SecretLength     int  `json:"secret_length"`
		ConfigLoaded     bool `json:"config_loaded"`
		BackendReachable bool `json:"backend_reachable"`
	}
	env.HTTP().GetJSON(t, "/api/info", &info)
	if want := len(env.Secret(t, "app_secret")); info.SecretLength != want || want == 0 || !info.ConfigLoaded || !info.BackendReachable {
		t.Errorf("/api/info = %+v, want the %d-character secret, the config and the backend", info, want)
	}
	id := "vol-" + strings.ToLower(env.Credential(t, "volume-item")[:8])
	if resp := env.HTTP().PostJSON(t, "/api/items", map[string]string{"id": id, "name": "on the volume"}, nil); resp.Status != http.StatusCreated {
		t.Fatalf("POST /api/items: %d", resp.Status)
	}
	data := env.ReadFile(t, "app", "/data/items/"+id+".json")
	if !strings.Contains(string(data), `"on the volume"`) {
		t.Errorf("/data/items/%s.json holds %q", id, data)
	}
	res := env.ExecShell(t, "app", `ls /data/items 2>/dev/null || /bin/busybox ls /data/items`)
	if res.ExitCode != 0 || !strings.Contains(res.Stdout, id+".json") {
		t.Errorf("ls /data/items in the app's container: %+v", res)
	}
}

// The page renders its script-built content in Chromium, through the same
// ingress, without console errors; a screenshot is kept with the results.
func TestPageRendersInBrowser(t *testing.T) {
	env := harness.Load(t)
	b := env.Browser(t)
	b.Navigate(t, "/")
	b.WaitVisible(t, `body[data-ready="true"]`)
	if got := b.Text(t, "#greeting"); got != "Hello from recipe-test" {
		t.Errorf("#greeting = %q", got)
	}
	if got := b.Text(t, "#status"); !strings.HasPrefix(got, "loaded ") {
		t.Errorf("#status = %q", got)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "example-home")
}
