package janitor

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	mobyswarm "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/runlock"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The leases decide, not the age: a live lease keeps a stack with no grace
// left; an expired one frees it for reaping at once, under a 3 h grace; a
// live lease whose run is known dead here (its lock file in our folder,
// free) frees it too; and the expired lease of a stack already gone is
// removed.
func TestLeasesDecide(t *testing.T) {
	testenv.Swarm(t)
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := swarm.Connect(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const suffix = "janlease.test"
	lockDir := t.TempDir()
	live, liveID := swarmtest.Stack(t, suffix)
	dead, deadID := swarmtest.Stack(t, suffix)
	diedHere, diedHereID := swarmtest.Stack(t, suffix)
	gone, goneID := swarmtest.Stack(t, suffix)
	for stack, id := range map[string]string{live: liveID, dead: deadID, diedHere: diedHereID} {
		swarmtest.Deploy(t, c.API, stack, swarmtest.Options{RunID: id})
	}
	hold := func(stack, id string, ttl time.Duration) *lease.Lease {
		l, err := lease.Acquire(ctx, c.API, stack, id, lease.Options{TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Release(context.Background()) })
		return l
	}
	hold(live, liveID, time.Minute)
	// Killed runs: leases nobody renews, one already expired...
	deadLease(t, c, dead, deadID, time.Now().Add(-time.Second))
	deadLease(t, c, gone, goneID, time.Now().Add(-time.Second))
	// ...and one not yet, of a run that died here: its lock file stays,
	// and nobody holds it.
	deadLease(t, c, diedHere, diedHereID, time.Now().Add(time.Hour))
	info, _ := json.Marshal(runlock.Info{PID: 1, Host: "here", RunID: diedHereID, Started: time.Now()})
	if err := os.WriteFile(runlock.Path(lockDir, diedHere), info, 0o644); err != nil {
		t.Fatal(err)
	}

	ours := []string{live, dead, diedHere, gone}
	opts := Options{LockDir: lockDir, Log: log, Grace: 3 * time.Hour, Match: func(s string) bool { return slices.Contains(ours, s) }}
	rep := run(t, ctx, c, opts)
	wantReaped(t, rep, dead, diedHere)
	wantSkip(t, rep, map[string]string{live: "held by a live run: run " + liveID})
	swarmtest.AssertNoResidue(t, c.API, dead)
	swarmtest.AssertNoResidue(t, c.API, diedHere)
	if left, err := swarmtest.Residue(ctx, c.API, live); err != nil || len(left) == 0 {
		t.Errorf("the live run's stack was touched: %v %v", left, err)
	}
	swarmtest.Cleanup(t, c.API, live)
	leases, err := lease.List(ctx, c.API)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{dead, diedHere, gone} {
		if l, ok := leases[s]; ok {
			t.Errorf("lease of %s left: %s", s, l)
		}
	}
	if _, ok := leases[live]; !ok {
		t.Errorf("the live run's lease was removed")
	}
}

// deadLease makes the lease a killed run leaves: never renewed again.
func deadLease(t *testing.T, c *swarm.Client, stack, runID string, expires time.Time) {
	t.Helper()
	_, err := c.API.ConfigCreate(t.Context(), client.ConfigCreateOptions{Spec: mobyswarm.ConfigSpec{
		Annotations: mobyswarm.Annotations{Name: lease.Name(stack), Labels: map[string]string{
			lease.LabelStack: stack, lease.LabelRun: runID, lease.LabelHolder: "killed pid 1",
			lease.LabelExpires: expires.UTC().Format(time.RFC3339Nano),
		}},
		Data: []byte("lease\n"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.API.ConfigRemove(context.Background(), lease.Name(stack), client.ConfigRemoveOptions{}) })
}
