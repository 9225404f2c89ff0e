// Package mixed is a fixture: recipe tests that pass, fail, skip and log a
// generated credential, for the runner's custom-stage tests.
package mixed

import (
	"net/http"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/harness"
)

func TestPasses(t *testing.T) {
	env := harness.Load(t)
	if resp := env.HTTP().Get(t, "/health"); resp.Status != http.StatusOK {
		t.Fatalf("GET /health: %d", resp.Status)
	}
}

func TestFails(t *testing.T) {
	env := harness.Load(t)
	if resp := env.HTTP().Get(t, "/health"); resp.Status != http.StatusTeapot {
		t.Errorf("GET /health answered %d, want 418 (this fixture test fails on purpose)", resp.Status)
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
