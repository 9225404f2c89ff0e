// Package prefix is a fixture: recipe tests of the prefix recipe, served
// under /x behind a stripprefix middleware, for the runner's tests.
package prefix

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// The app is reached under the prefix, which the middleware removes: the
// backend answers / and /health, nothing else.
func TestServedUnderPrefix(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	var got struct {
		Service string `json:"service"`
		Counter int    `json:"counter"`
	}
	c.GetJSON(t, "/x/", &got)
	if got.Service != "backend" || got.Counter < 1 {
		t.Errorf("GET /x/ = %+v, want the backend's answer to GET /", got)
	}
	if r := c.Get(t, "/x/health"); r.Status != http.StatusOK || string(r.Body) != "ok" {
		t.Errorf("GET /x/health = %d %q, want 200 ok", r.Status, r.Body)
	}
	if r := c.Get(t, "/x/nothing"); r.Status != http.StatusNotFound {
		t.Errorf("GET /x/nothing = %d, want the app's own 404 for /nothing", r.Status)
	}
}

// Outside the prefix no router of the recipe serves the domain: the
// ingress answers 404 itself, as Traefik would.
func TestNothingOutsideThePrefix(t *testing.T) {
	env := harness.Load(t)
	r := env.HTTP().Get(t, "/health")
	if r.Status != http.StatusNotFound || !strings.HasPrefix(string(r.Body), "recipe-test ingress:") {
		t.Errorf("GET /health = %d %q, want the ingress's 404", r.Status, r.Body)
	}
}
