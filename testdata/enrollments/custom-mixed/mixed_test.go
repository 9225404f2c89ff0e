// Package mixed is a fixture: recipe tests that pass, fail, skip and log a
// generated credential, for the runner's custom-stage tests.
package mixed

import (
	"net/http"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

func TestPasses(t *testing.T) {
	env := harness.Load(t)
	if resp := env.HTTP().Get(t, "/health"); resp.Status != http.StatusOK {
		t.Fatalf("GET /health: %d", resp.Status)
	}
}

// TestFails fails, and quotes in its failure what the app answered, as a
// test quotes a response body: text the app controls, here a line made to
// look like a mask request (the word "fail"), which must mask nothing.
func TestFails(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	var stored struct{ Value string }
	c.PostJSON(t, "/api/items", map[string]string{"name": "mask probe", "value": "\n::recipe-test-mask::fail\n"}, &stored)
	if resp := c.Get(t, "/health"); resp.Status != http.StatusTeapot {
		t.Errorf("GET /health answered %d, want 418 (this fixture test fails on purpose); the app stored %s", resp.Status, stored.Value)
	}
}

func TestSkips(t *testing.T) {
	harness.Load(t)
	t.Skip("needs an SMTP relay, which this fixture does not deploy")
}

// TestLogsCredential logs a generated credential: the runner must mask it.
func TestLogsCredential(t *testing.T) {
	env := harness.Load(t)
	t.Logf("the generated password is %s", env.Credential(t, "admin-password"))
}
