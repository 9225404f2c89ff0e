package datacheck

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// deploy runs the webapp fixture as service <stack>_app with a volume on
// /data, and connects.
func deploy(t *testing.T) (*swarm.Client, string) {
	t.Helper()
	testenv.Swarm(t)
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	stack, id := swarmtest.Stack(t, "datacheck.test")
	swarmtest.Deploy(t, api, stack, swarmtest.Options{RunID: id})
	c, err := swarm.Connect(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, stack + "_app"
}

func TestMarkers(t *testing.T) {
	c, svc := deploy(t)
	ctx := t.Context()
	m := &Markers{C: c, Log: t.Logf, Candidates: []Location{
		{Service: svc, Short: "app", Dir: "/data"},
		{Service: svc, Short: "app", Dir: "/etc/webapp/app.conf"}, // a file: no marker there
	}}
	if err := m.Seed(ctx, "m-1"); err != nil {
		t.Fatal(err)
	}
	if got := m.MarkerFiles(); len(got) != 2 || got[0] != "/data/.recipe-test-marker" || got[1] != "/data/.recipe-test-extra" {
		t.Errorf("marker files %v", got)
	}
	if err := m.Verify(ctx, "m-1"); err != nil {
		t.Fatalf("verify after seed: %v", err)
	}
	if err := m.Verify(ctx, "m-2"); err == nil || !strings.Contains(err.Error(), `holds "m-1", not the seeded "m-2"`) {
		t.Errorf("verify with another marker: %v", err)
	}
	if err := m.Mutate(ctx); err != nil {
		t.Fatal(err)
	}
	err := m.Verify(ctx, "m-1")
	if err == nil || !strings.Contains(err.Error(), `/data/.recipe-test-marker in service app holds "mutated"`) ||
		!strings.Contains(err.Error(), "/data/.recipe-test-extra is missing") {
		t.Errorf("verify after mutate: %v", err)
	}
	if !strings.Contains(m.Describe(), "app:/data") {
		t.Errorf("describe: %s", m.Describe())
	}
}

// Backed-up paths that are files (a database dump) cannot take markers:
// the check says it cannot verify, and what to declare instead.
func TestMarkersUnverifiable(t *testing.T) {
	c, svc := deploy(t)
	m := &Markers{C: c, Log: t.Logf, Candidates: []Location{{Service: svc, Short: "app", Dir: "/data/dump.sql"}}}
	err := m.Seed(t.Context(), "m")
	if !errors.Is(err, ErrUnverifiable) || !strings.Contains(err.Error(), "app:/data/dump.sql") || !strings.Contains(err.Error(), "recipe.toml") {
		t.Errorf("seed: %v", err)
	}
	empty := &Markers{C: c, Log: t.Logf}
	if err := empty.Seed(t.Context(), "m"); !errors.Is(err, ErrUnverifiable) || !strings.Contains(err.Error(), "no data in volumes") {
		t.Errorf("seed without candidates: %v", err)
	}
}

func TestHooks(t *testing.T) {
	c, svc := deploy(t)
	ctx := t.Context()
	var log strings.Builder
	h := &Hooks{C: c, Service: svc, Short: "app", Log: func(f string, a ...any) { log.WriteString(strings.TrimSpace(f) + "\n") }, Hooks: enrollment.Hooks{
		Service: "app",
		Seed:    `/webapp item put k "$RECIPE_TEST_MARKER"`,
		Mutate:  `/webapp item rm k`,
		Verify:  `test "$(/webapp item get k)" = "$RECIPE_TEST_MARKER"`,
	}}
	if err := h.Seed(ctx, "v-1"); err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(ctx, "v-1"); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := h.Mutate(ctx); err != nil {
		t.Fatal(err)
	}
	err := h.Verify(ctx, "v-1")
	if err == nil || !strings.Contains(err.Error(), "verify hook") || !strings.Contains(err.Error(), "exited 1") || !strings.Contains(err.Error(), "item k not found") {
		t.Errorf("verify after mutate: %v", err)
	}
	// A hook that never returns fails once its timeout is up, naming the
	// hook and the timeout, instead of holding the run.
	hang := &Hooks{C: c, Service: svc, Short: "app", Log: t.Logf, Timeout: 2 * time.Second, Hooks: enrollment.Hooks{Seed: "/bin/busybox sleep 3600"}}
	start := time.Now()
	err = hang.Seed(ctx, "x")
	var te *containers.TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), `seed hook "/bin/busybox sleep 3600" in service app: still running after 2s`) {
		t.Errorf("a hook that sleeps forever: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the hanging hook held the check for %s", d)
	}
	bad := &Hooks{C: c, Service: svc + "-gone", Short: "gone", Log: t.Logf, Hooks: h.Hooks}
	if err := bad.Seed(ctx, "x"); err == nil || !strings.Contains(err.Error(), "seed hook") || !strings.Contains(err.Error(), "-gone") {
		t.Errorf("seed in a missing service: %v", err)
	}
}
