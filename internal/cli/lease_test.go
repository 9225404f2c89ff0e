package cli

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// janitorOnce runs `recipe-test janitor` as another action container would:
// its own (empty) lock folder, the default 3 h grace, no clock skew.
func janitorOnce(t *testing.T, bin, suffix string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "janitor", "--domain-suffix", suffix, "--lock-dir", t.TempDir(), "--lease-skew", "0s").CombinedOutput()
	if err != nil {
		t.Fatalf("janitor: %v\n%s", err, out)
	}
	return string(out)
}

// Two action containers share a swarm but no files: the second one's
// janitor keeps the first one's live run, even with no grace left to
// protect it; once the first is killed, its stack is kept until its lease
// expires, then reaped at once (not after the 3 h grace), lease and all.
func TestLeaseKeepsLiveRunAndFreesDeadOne(t *testing.T) {
	testenv.Swarm(t)
	const suffix = "lease.test"
	bin := buildCLI(t)
	cmd, log, done := startSlowRunWith(t, bin, nil, "--domain-suffix", suffix, "--out", t.TempDir(),
		"--lock-dir", t.TempDir(), "--lease-ttl", "12s")
	stack := stackOf(t, log.String())
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	t.Cleanup(func() { swarmtest.Cleanup(t, api, stack) })

	// Renewed every 4 s: the janitor right after the kill finds the lease
	// live for 8 s at least.
	if out := janitorOnce(t, bin, suffix); !strings.Contains(out, "kept "+stack+": held by a live run") {
		t.Fatalf("the live run was not kept:\n%s", out)
	}
	cmd.Process.Kill()
	<-done
	killed := time.Now()
	if out := janitorOnce(t, bin, suffix); !strings.Contains(out, "kept "+stack+": held by a live run") {
		t.Fatalf("a run whose lease has not expired yet was not kept:\n%s", out)
	}
	time.Sleep(time.Until(killed.Add(12*time.Second + 500*time.Millisecond)))
	if out := janitorOnce(t, bin, suffix); !strings.Contains(out, "reaped "+stack) {
		t.Fatalf("the dead run's stack was not reaped once its lease expired:\n%s", out)
	}
	swarmtest.AssertNoResidue(t, api, stack)
	leases, err := lease.List(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := leases[stack]; ok {
		t.Errorf("lease left behind: %s", l)
	}
}

// A runner cancels a job with SIGINT, SIGTERM 7.5 s later, then SIGKILL
// 2.5 s after that. Under a runner the later signals do not cut teardown
// short; whatever the SIGKILL may still have cut short, the next janitor
// reaps once the lease expired: nothing is left either way.
func TestRunnerCancelSequence(t *testing.T) {
	testenv.Swarm(t)
	const suffix = "cancel.test"
	bin := buildCLI(t)
	cmd, log, done := startSlowRunWith(t, bin, []string{"GITHUB_ACTIONS=true"}, "--domain-suffix", suffix,
		"--out", t.TempDir(), "--lock-dir", t.TempDir(), "--lease-ttl", "6s")
	stack := stackOf(t, log.String())
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	t.Cleanup(func() { swarmtest.Cleanup(t, api, stack) })

	exited := false
	for _, step := range []struct {
		sig   syscall.Signal
		after time.Duration
	}{{syscall.SIGINT, 0}, {syscall.SIGTERM, 7500 * time.Millisecond}, {syscall.SIGKILL, 2500 * time.Millisecond}} {
		select {
		case <-done:
			exited = true
		case <-time.After(step.after):
		}
		if exited {
			break
		}
		if err := cmd.Process.Signal(step.sig); err != nil {
			t.Fatal(err)
		}
	}
	if !exited {
		<-done
	}
	text := log.String()
	if strings.Contains(text, "exiting now, teardown not finished") {
		t.Errorf("a later signal forced the exit under a runner:\n%s", text)
	}
	if !strings.Contains(text, "cancelling; teardown still runs") {
		t.Errorf("SIGINT did not cancel the run:\n%s", text)
	}
	t.Logf("teardown finished before the SIGKILL: %v", strings.Contains(text, "[teardown] nothing left"))
	time.Sleep(6500 * time.Millisecond) // the lease, if it was not released, expires
	janitorOnce(t, bin, suffix)
	swarmtest.AssertNoResidue(t, api, stack)
	if leases, err := lease.List(t.Context(), api); err != nil || leases[stack].RunID != "" {
		t.Errorf("lease left behind: %v %v", leases[stack], err)
	}
}

// A run killed while its app deploys, after its dependency is up: each
// stack holds a lease of its own, so the janitor elsewhere keeps both while
// the run lives and reaps both once their leases expired, leases and all.
func TestLeaseReapsADeadRunsDependency(t *testing.T) {
	testenv.Swarm(t)
	testenv.FixtureImage(t, "oidc-provider", "1")
	testenv.FixtureImage(t, "oidc-app", "1")
	const suffix = "lease-deps.test"
	bin := buildCLI(t)
	root := testenv.RepoRoot(t)
	enr := filepath.Join(root, "testdata", "enrollments")
	cmd, log, done := startRunUntil(t, bin, nil, "[install] waiting up to",
		"run", "--recipe", filepath.Join(root, "testdata", "recipes", "oidc-app"), "--enrollment", filepath.Join(enr, "oidc-app"),
		"--recipes-dir", enr, "--domain-suffix", suffix, "--out", t.TempDir(), "--lock-dir", t.TempDir(), "--lease-ttl", "12s")
	var stacks []string
	for _, line := range strings.Split(log.String(), "\n") {
		if _, rest, ok := strings.Cut(line, ", stack "); ok {
			stacks = append(stacks, strings.TrimRight(strings.Fields(rest)[0], ","))
		}
	}
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	for _, stack := range stacks {
		t.Cleanup(func() { swarmtest.Cleanup(t, api, stack) })
	}
	// The app's plan line, the dependency's, and the app's again in the
	// dependency summary: two stacks.
	if len(slices.Compact(slices.Sorted(slices.Values(stacks)))) != 2 {
		t.Fatalf("want the app's and the dependency's stack in the log: %v\n%s", stacks, log)
	}
	stacks = slices.Compact(slices.Sorted(slices.Values(stacks)))
	if out := janitorOnce(t, bin, suffix); strings.Count(out, "held by a live run") != 2 {
		t.Fatalf("the live run's two stacks were not both kept:\n%s", out)
	}
	cmd.Process.Kill()
	<-done
	killed := time.Now()
	time.Sleep(time.Until(killed.Add(12*time.Second + 500*time.Millisecond)))
	out := janitorOnce(t, bin, suffix)
	for _, stack := range stacks {
		if !strings.Contains(out, "reaped "+stack) {
			t.Errorf("stack %s of the dead run was not reaped once its lease expired:\n%s", stack, out)
		}
		swarmtest.AssertNoResidue(t, api, stack)
	}
	leases, err := lease.List(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	for _, stack := range stacks {
		if l, ok := leases[stack]; ok {
			t.Errorf("lease left behind: %s", l)
		}
	}
}
