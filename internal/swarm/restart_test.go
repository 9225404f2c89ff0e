package swarm

import (
	"strings"
	"testing"
	"time"
)

// Restart replaces the service's container with a fresh one (a forced
// update), leaves the services it is not asked about alone, and Converge
// then waits for the fresh task; a service the app lacks is refused.
func TestRestartReplacesTheTask(t *testing.T) {
	c, _, app, runID := deployFixture(t, "example")
	if _, err := c.Deploy(t.Context(), app, DeployOptions{RunID: runID}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if err := c.Converge(t.Context(), app, 90*time.Second, nil); err != nil {
		t.Fatalf("converge: %v", err)
	}
	appSvc, _ := app.Service("app")
	backend, _ := app.Service("backend")
	before, err := c.ServiceContainer(t.Context(), appSvc.FullName)
	if err != nil {
		t.Fatal(err)
	}
	backendBefore, err := c.ServiceContainer(t.Context(), backend.FullName)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	if err := c.Restart(t.Context(), app, []string{"app"}, func(m string) { lines = append(lines, m) }); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], appSvc.FullName) || !strings.Contains(lines[0], "forced update 1") {
		t.Errorf("progress %q", lines)
	}
	if err := c.Converge(t.Context(), app, 90*time.Second, func(m string) { t.Log(m) }); err != nil {
		t.Fatalf("converge after the restart: %v", err)
	}
	after, err := c.ServiceContainer(t.Context(), appSvc.FullName)
	if err != nil {
		t.Fatal(err)
	}
	if after == before {
		t.Errorf("container %.12s still serves %s after the restart", after, appSvc.FullName)
	}
	if got, err := c.ServiceContainer(t.Context(), backend.FullName); err != nil || got != backendBefore {
		t.Errorf("backend container %.12s (was %.12s, %v): a service not asked for was restarted", got, backendBefore, err)
	}
	if err := c.Restart(t.Context(), app, []string{"nosuch"}, nil); err == nil || !strings.Contains(err.Error(), "no service nosuch") {
		t.Errorf("restart of a service the app lacks: %v", err)
	}
}
