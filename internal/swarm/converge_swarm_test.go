package swarm

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConvergeFailures(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		cause   string        // in the failing service's Error
		log     string        // in its logs, when it prints anything
		within  time.Duration // well before the timeout
	}{
		{"missing-image", "No such image: recipe-test-fixtures/does-not-exist:1", "", 30 * time.Second},
		{"crashloop", "task: non-zero exit (1)", "FAIL_MODE=crash", 40 * time.Second},
		{"unhealthy", "unhealthy", "listening", 80 * time.Second},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			c, _, app, runID := deployFixture(t, tc.fixture)
			if _, err := c.Deploy(t.Context(), app, DeployOptions{RunID: runID}); err != nil {
				t.Fatalf("deploy: %v", err)
			}
			start := time.Now()
			err := c.Converge(t.Context(), app, 90*time.Second, func(m string) { t.Log(m) })
			took := time.Since(start)
			t.Logf("failed after %s:\n%v", took.Round(time.Millisecond), err)
			var ce *ConvergeError
			if !errors.As(err, &ce) {
				t.Fatalf("want a *ConvergeError, got %v", err)
			}
			svc, _ := app.Service("app")
			if len(ce.Services) != 1 || ce.Services[0].Service != svc.FullName {
				t.Fatalf("want only %s in the error, got %+v", svc.FullName, ce.Services)
			}
			f := ce.Services[0]
			if !strings.Contains(f.Error, tc.cause) || !strings.Contains(err.Error(), svc.FullName) {
				t.Errorf("service error %q: want %q", f.Error, tc.cause)
			}
			if tc.log != "" && !strings.Contains(strings.Join(f.Logs, "\n"), tc.log) {
				t.Errorf("logs %q: want %q", f.Logs, tc.log)
			}
			if tc.fixture == "unhealthy" && !strings.Contains(f.Health, "503") {
				t.Errorf("last health check %q: want the 503 it answered", f.Health)
			}
			if took > tc.within {
				t.Errorf("took %s, want under %s", took, tc.within)
			}
		})
	}
}

func TestConvergeTimeout(t *testing.T) {
	c, r, first, runID := deployFixture(t, "example")
	// The slow overlay makes the app sleep before it listens.
	if err := r.Set("test", `COMPOSE_FILE="$COMPOSE_FILE:compose.slow.yml"`, "SLOW_START=30s"); err != nil {
		t.Fatal(err)
	}
	app := resolveAgain(t, r, first.Domain)
	if _, err := c.Deploy(t.Context(), app, DeployOptions{RunID: runID}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	start := time.Now()
	err := c.Converge(t.Context(), app, 5*time.Second, func(m string) { t.Log(m) })
	t.Logf("after %s:\n%v", time.Since(start).Round(time.Millisecond), err)
	var ce *ConvergeError
	if !errors.As(err, &ce) || ce.Reason != "timed out after 5s" {
		t.Fatalf("want a timeout *ConvergeError, got %v", err)
	}
	svc, _ := app.Service("app")
	if len(ce.Services) != 1 || ce.Services[0].Service != svc.FullName || ce.Services[0].State != "starting" {
		t.Errorf("want only %s, starting, got %+v", svc.FullName, ce.Services)
	}
	if f := ce.Services[0]; !strings.Contains(strings.Join(f.Logs, "\n"), "SLOW_START=30s") {
		t.Errorf("logs %q: want the app's own words", f.Logs)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s for a 5s timeout", took)
	}
}
