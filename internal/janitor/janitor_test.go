package janitor

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/runlock"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// TestRunReapsOnlyOrphans deploys two orphans of ours (a whole stack, and
// the leftovers of one whose services are gone) among decoys the janitor
// must never touch, and runs it three times: with a long grace, dry, real.
func TestRunReapsOnlyOrphans(t *testing.T) {
	testenv.Swarm(t)
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := swarm.Connect(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const suffix = "jantest.test"
	lockDir := t.TempDir()

	orphan, orphanID := swarmtest.Stack(t, suffix)
	leftovers, leftoversID := swarmtest.Stack(t, suffix)
	unlabelled, _ := swarmtest.Stack(t, suffix)
	locked, lockedID := swarmtest.Stack(t, suffix)
	_, badID := swarmtest.Stack(t, suffix)
	badName := "jdecoy-" + badID + "_jantest_test" // carries our label, not our name shape

	swarmtest.Deploy(t, c.API, orphan, swarmtest.Options{RunID: orphanID})
	swarmtest.Deploy(t, c.API, leftovers, swarmtest.Options{RunID: leftoversID, NoService: true})
	swarmtest.Deploy(t, c.API, unlabelled, swarmtest.Options{})
	swarmtest.Deploy(t, c.API, locked, swarmtest.Options{RunID: lockedID})
	swarmtest.Deploy(t, c.API, badName, swarmtest.Options{RunID: badID})
	lock, err := runlock.Acquire(lockDir, locked, lockedID)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()

	ours := []string{orphan, leftovers, unlabelled, locked, badName}
	decoys := []string{unlabelled, locked, badName}
	inventories := func() map[string][]swarm.Resource {
		m := map[string][]swarm.Resource{}
		for _, s := range ours {
			inv, err := c.Inventory(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			m[s] = inv
		}
		return m
	}
	start := inventories()
	for _, s := range ours {
		if len(start[s]) == 0 {
			t.Fatalf("fixture stack %s is empty", s)
		}
	}
	opts := Options{LockDir: lockDir, Log: log, Match: func(s string) bool { return slices.Contains(ours, s) }}

	// 1. A long grace spares everything: each stack is skipped, with its reason.
	opts.Grace = time.Hour
	rep := run(t, ctx, c, opts)
	if len(rep.Reaped) != 0 {
		t.Errorf("grace 1h reaped %v", rep.Reaped)
	}
	wantSkip(t, rep, map[string]string{
		orphan: "younger than the grace period", leftovers: "younger than the grace period",
		locked: "younger than the grace period", unlabelled: "has no " + swarm.LabelRun, badName: "not a run-scoped",
	})

	// 2. Dry run with no grace: both orphans reported, nothing removed.
	opts.Grace, opts.DryRun = 0, true
	rep = run(t, ctx, c, opts)
	wantReaped(t, rep, orphan, leftovers)
	wantSkip(t, rep, map[string]string{unlabelled: "has no", badName: "not a run-scoped", locked: "held by a live run: pid"})
	for _, r := range rep.Reaped {
		if !slices.Equal(r.Removed, start[r.Stack]) {
			t.Errorf("dry run: %s would remove %v, want its inventory %v", r.Stack, r.Removed, start[r.Stack])
		}
	}
	if now := inventories(); !equal(now, start) {
		t.Fatalf("the dry run changed something:\n before %v\n after  %v", start, now)
	}

	// 3. The real thing.
	opts.DryRun = false
	t0 := time.Now()
	rep = run(t, ctx, c, opts)
	t.Logf("janitor reaped 2 stacks in %s", time.Since(t0).Round(10*time.Millisecond))
	wantReaped(t, rep, orphan, leftovers)
	wantSkip(t, rep, map[string]string{unlabelled: "has no", badName: "not a run-scoped", locked: "held by a live run: pid"})
	for _, r := range rep.Reaped {
		if r.Err != nil || len(r.Left) > 0 || !slices.Equal(r.Removed, start[r.Stack]) {
			t.Errorf("reaped %s: removed %v, left %v, err %v; want all of %v", r.Stack, r.Removed, r.Left, r.Err, start[r.Stack])
		}
		if r.Stack == orphan && r.RunID != orphanID {
			t.Errorf("reaped %s: run id %q, want %q", r.Stack, r.RunID, orphanID)
		}
	}
	after := inventories()
	for _, s := range []string{orphan, leftovers} {
		if len(after[s]) > 0 {
			t.Errorf("%s survived the janitor: %v", s, after[s])
		}
		swarmtest.AssertNoResidue(t, c.API, s)
	}
	for _, s := range decoys {
		if !slices.Equal(after[s], start[s]) {
			t.Errorf("decoy %s was touched:\n before %v\n after  %v", s, start[s], after[s])
		}
	}
	if held, _ := runlock.Held(lockDir, orphan); held {
		t.Error("the janitor kept the reaped stack's lock")
	}
}

func run(t *testing.T, ctx context.Context, c *swarm.Client, opts Options) Report {
	t.Helper()
	rep, err := Run(ctx, c, opts)
	if err != nil {
		t.Fatalf("Run(grace %s, dry %v): %v", opts.Grace, opts.DryRun, err)
	}
	for _, s := range rep.Skipped {
		t.Logf("skipped %s: %s", s.Stack, s.Reason)
	}
	return rep
}

func wantReaped(t *testing.T, rep Report, stacks ...string) {
	t.Helper()
	var got []string
	for _, r := range rep.Reaped {
		got = append(got, r.Stack)
	}
	slices.Sort(stacks)
	if !slices.Equal(got, stacks) {
		t.Errorf("reaped %q, want %q", got, stacks)
	}
}

func wantSkip(t *testing.T, rep Report, reasons map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, s := range rep.Skipped {
		got[s.Stack] = s.Reason
	}
	if len(got) != len(reasons) {
		t.Errorf("skipped %v, want %d stacks", got, len(reasons))
	}
	for stack, want := range reasons {
		if !strings.Contains(got[stack], want) {
			t.Errorf("skipped %s with reason %q, want one containing %q", stack, got[stack], want)
		}
	}
}

func equal(a, b map[string][]swarm.Resource) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
