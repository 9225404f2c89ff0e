package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/budget"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// timedRun is a recipe-test process whose progress lines are kept with
// the time each arrived.
type timedRun struct {
	mu    sync.Mutex
	lines []string
	at    []time.Time
	done  chan error
}

func startTimed(t *testing.T, bin string, args ...string) *timedRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &timedRun{done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.mu.Lock()
			r.lines, r.at = append(r.lines, sc.Text()), append(r.at, time.Now())
			r.mu.Unlock()
		}
		r.done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	return r
}

func (r *timedRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(4 * time.Minute):
		t.Fatalf("no exit:\n%s", r.log())
		return nil
	}
}

// first returns when the first line containing s arrived.
func (r *timedRun) first(s string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, l := range r.lines {
		if strings.Contains(l, s) {
			return r.at[i], true
		}
	}
	return time.Time{}, false
}

func (r *timedRun) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// window is when a run had something deployed: from its install's start
// to its teardown's end.
func (r *timedRun) window(t *testing.T) (from, to time.Time) {
	t.Helper()
	from, ok1 := r.first("[install] start")
	to, ok2 := r.first("[teardown] pass")
	if !ok1 || !ok2 {
		t.Fatalf("no install start or teardown end:\n%s", r.log())
	}
	return from, to
}

// Two jobs' runs started at once with a budget of one slot: one deploys,
// the other waits, saying its place and who holds the slot, and deploys
// once the first's teardown is over. Their deploy windows never overlap;
// the waiter's results record its wait; no ticket is left.
func TestBudgetOfOneSerializesTwoJobs(t *testing.T) {
	testenv.Swarm(t)
	bin := buildCLI(t)
	root := testenv.RepoRoot(t)
	outs := []string{t.TempDir(), t.TempDir()}
	var runs []*timedRun
	for _, out := range outs {
		runs = append(runs, startTimed(t, bin, "run", "--recipe", filepath.Join(root, "testdata", "recipes", "example"),
			"--stages", "install", "--budget", "1", "--domain-suffix", "budget.test", "--out", out, "--lock-dir", t.TempDir()))
	}
	for _, r := range runs {
		if err := r.wait(t); err != nil {
			t.Fatalf("run: %v\n%s", err, r.log())
		}
	}
	a0, a1 := runs[0].window(t)
	b0, b1 := runs[1].window(t)
	if a0.Before(b1) && b0.Before(a1) {
		t.Errorf("deploy windows overlap: %s-%s and %s-%s\n%s\n---\n%s", a0.Format(time.StampMilli), a1.Format(time.StampMilli),
			b0.Format(time.StampMilli), b1.Format(time.StampMilli), runs[0].log(), runs[1].log())
	}
	waiter, out := runs[1], outs[1]
	if b0.Before(a0) {
		waiter, out = runs[0], outs[0]
	}
	holder := runs[0]
	if waiter == runs[0] {
		holder = runs[1]
	}
	holderID := runIDOf(t, holder.log())
	if _, ok := waiter.first("waiting for the run budget: place 2 of 2, 1 of 1 slots held by run " + holderID + " (example)"); !ok {
		t.Errorf("the second run did not say its place:\n%s", waiter.log())
	}
	var res struct {
		BudgetWaitS float64 `json:"budget_wait_s"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "results.json"))
	if err := json.Unmarshal(data, &res); err != nil || res.BudgetWaitS < 1 {
		t.Errorf("the waiter's results.json records no wait: %v %s", err, data)
	}
	assertNoTicket(t, stackOf(t, runs[0].log()), stackOf(t, runs[1].log()))
}

func runIDOf(t *testing.T, log string) string {
	t.Helper()
	// The stack is <abbrev>-<run id>_<suffix>.
	stack := stackOf(t, log)
	_, rest, _ := strings.Cut(stack, "-")
	id, _, _ := strings.Cut(rest, "_")
	return id
}

func assertNoTicket(t *testing.T, stacks ...string) {
	t.Helper()
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	tickets, err := budget.List(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	leases, err := lease.List(t.Context(), api)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stacks {
		for _, tk := range tickets {
			if tk.Stack == s {
				t.Errorf("ticket left: %s", budget.Name(s))
			}
		}
		if _, ok := leases[s]; ok {
			t.Errorf("lease left: %s", lease.Name(s))
		}
	}
}

// A run whose recipe weighs more than the whole budget is refused before
// anything is created: exit 2, naming the recipe.toml and its weight.
func TestBudgetTooHeavyDeploysNothing(t *testing.T) {
	testenv.Swarm(t)
	bin := buildCLI(t)
	root := testenv.RepoRoot(t)
	enr := t.TempDir()
	if err := os.WriteFile(filepath.Join(enr, "recipe.toml"), []byte("[budget]\nweight = 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "run", "--recipe", filepath.Join(root, "testdata", "recipes", "example"), "--enrollment", enr,
		"--stages", "install", "--budget", "1", "--domain-suffix", "budget-heavy.test", "--out", t.TempDir(), "--lock-dir", t.TempDir()).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitConfig {
		t.Fatalf("exit %v, want %d:\n%s", err, exitConfig, out)
	}
	want := "example takes 2 slots of the run budget, more than its capacity of 1: it could never run"
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), filepath.Join(enr, "recipe.toml")+" [budget] weight") {
		t.Errorf("want %q naming the recipe.toml:\n%s", want, out)
	}
	stack := stackOf(t, string(out))
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	swarmtest.AssertNoResidue(t, api, stack)
	assertNoTicket(t, stack)
}

// Cancelled while it waits, a run leaves the queue at once (its ticket
// removed, nothing deployed); the run holding the slot, cancelled in turn,
// gives it back after its teardown.
func TestBudgetReleasedOnCancel(t *testing.T) {
	testenv.Swarm(t)
	bin := buildCLI(t)
	const suffix = "budget-cancel.test"
	holder, hlog, hdone := startSlowRunWith(t, bin, nil, "--budget", "1", "--domain-suffix", suffix, "--out", t.TempDir(), "--lock-dir", t.TempDir())
	hstack := stackOf(t, hlog.String())
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	t.Cleanup(func() { swarmtest.Cleanup(t, api, hstack) })
	root := testenv.RepoRoot(t)
	waiter, wlog, wdone := startRunUntil(t, bin, nil, "waiting for the run budget: place 2 of 2",
		"run", "--recipe", filepath.Join(root, "testdata", "recipes", "example"), "--stages", "install", "--budget", "1",
		"--domain-suffix", suffix, "--out", t.TempDir(), "--lock-dir", t.TempDir())
	wstack := stackOf(t, wlog.String())
	t.Cleanup(func() { swarmtest.Cleanup(t, api, wstack) })
	for _, p := range []struct {
		cmd  *exec.Cmd
		done <-chan error
		log  *lockedLog
	}{{waiter, wdone, wlog}, {holder, hdone, hlog}} {
		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.done:
		case <-time.After(3 * time.Minute):
			t.Fatalf("no exit after SIGINT:\n%s", p.log)
		}
	}
	if !strings.Contains(wlog.String(), "cancelled while waiting for the run budget: place 2 of 2") {
		t.Errorf("the waiter did not say it was cancelled while waiting:\n%s", wlog)
	}
	if strings.Contains(wlog.String(), "[install] start") {
		t.Errorf("the cancelled waiter deployed:\n%s", wlog)
	}
	if !strings.Contains(hlog.String(), "[teardown] nothing left") {
		t.Errorf("the holder's teardown did not finish:\n%s", hlog)
	}
	swarmtest.AssertNoResidue(t, api, hstack)
	swarmtest.AssertNoResidue(t, api, wstack)
	assertNoTicket(t, hstack, wstack)
}

// Several recipes in one run go side by side within the budget, each in a
// folder of its own, with a combined summary; a recipe that cannot be
// found does not stop the others, and the exit code is the worst.
func TestRunSeveralRecipes(t *testing.T) {
	testenv.Swarm(t)
	bin := buildCLI(t)
	root := testenv.RepoRoot(t)
	example := filepath.Join(root, "testdata", "recipes", "example")
	missing := filepath.Join(t.TempDir(), "nothing-here")
	out := t.TempDir()
	list := filepath.Join(t.TempDir(), "recipes.txt")
	if err := os.WriteFile(list, []byte("# the second example and a recipe that is not there\n"+example+"\n\n"+missing+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	b, err := exec.CommandContext(ctx, bin, "run", "--recipe", example, "--recipes-file", list, "--stages", "install", "--budget", "2",
		"--domain-suffix", "budget-many.test", "--out", out, "--lock-dir", t.TempDir()).CombinedOutput()
	log := string(b)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitConfig {
		t.Fatalf("exit %v, want %d (the missing recipe's):\n%s", err, exitConfig, log)
	}
	var sum []outcome
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil || json.Unmarshal(data, &sum) != nil || len(sum) != 3 {
		t.Fatalf("summary.json: %v %s", err, data)
	}
	type window struct{ from, to time.Time }
	var windows []window
	for i, folder := range []string{"example", "example-2"} {
		if sum[i].Out != filepath.Join(out, folder) || sum[i].Status != "pass" || sum[i].ExitCode != 0 || sum[i].BudgetWaitS >= 1 {
			t.Errorf("summary row %d: %+v", i, sum[i])
		}
		var res struct {
			Status    string
			Started   time.Time
			DurationS float64 `json:"duration_s"`
		}
		data, _ := os.ReadFile(filepath.Join(out, folder, "results.json"))
		if err := json.Unmarshal(data, &res); err != nil || res.Status != "pass" {
			t.Fatalf("%s/results.json: %v %s", folder, err, data)
		}
		windows = append(windows, window{res.Started, res.Started.Add(time.Duration(res.DurationS * float64(time.Second)))})
		if !strings.Contains(log, folder+": [install] pass") {
			t.Errorf("no progress prefixed %q:\n%s", folder, log)
		}
	}
	if !(windows[0].from.Before(windows[1].to) && windows[1].from.Before(windows[0].to)) {
		t.Errorf("the two runs did not run side by side: %v", windows)
	}
	if sum[2].Recipe != missing || sum[2].ExitCode != exitConfig || !strings.Contains(sum[2].Error, "nothing-here") {
		t.Errorf("the missing recipe's row: %+v", sum[2])
	}
	if !strings.Contains(log, "1 of 3 recipes failed: "+missing+" (exit 2)") {
		t.Errorf("no combined verdict:\n%s", log)
	}
}

// A run killed while it holds the only slot: its ticket keeps the slot
// until its lease expires (and the runners' clock skew has passed), then
// the waiting run reclaims it and goes. The janitor then reaps the killed
// run's stack and lease; no ticket is left.
func TestBudgetKilledHolderReclaimed(t *testing.T) {
	testenv.Swarm(t)
	bin := buildCLI(t)
	const suffix = "budget-kill.test"
	holder, hlog, hdone := startSlowRunWith(t, bin, nil, "--budget", "1", "--lease-ttl", "6s", "--domain-suffix", suffix,
		"--out", t.TempDir(), "--lock-dir", t.TempDir())
	hstack := stackOf(t, hlog.String())
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	t.Cleanup(func() { swarmtest.Cleanup(t, api, hstack) })
	root := testenv.RepoRoot(t)
	waiter := startTimed(t, bin, "run", "--recipe", filepath.Join(root, "testdata", "recipes", "example"), "--stages", "install",
		"--budget", "1", "--domain-suffix", suffix, "--out", t.TempDir(), "--lock-dir", t.TempDir())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, ok := waiter.first("waiting for the run budget: place 2 of 2"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second run never waited:\n%s", waiter.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	wstack := stackOf(t, waiter.log())
	t.Cleanup(func() { swarmtest.Cleanup(t, api, wstack) })
	holder.Process.Kill()
	<-hdone
	killed := time.Now()
	if err := waiter.wait(t); err != nil {
		t.Fatalf("the waiting run: %v\n%s", err, waiter.log())
	}
	admitted, ok := waiter.first("run budget: admitted")
	if !ok || !strings.Contains(waiter.log(), "reclaimed the ticket of run "+runIDOf(t, hlog.String())) {
		t.Fatalf("the dead run's ticket was not reclaimed:\n%s", waiter.log())
	}
	// The lease was renewed every 2 s: it expired 4 s after the kill at
	// the earliest, and counts for the 30 s skew beyond.
	if admitted.Sub(killed) < 4*time.Second {
		t.Errorf("admitted %s after the kill, before the dead run's lease could expire", admitted.Sub(killed))
	}
	if !strings.Contains(waiter.log(), "[install] pass") {
		t.Errorf("the waiting run did not install:\n%s", waiter.log())
	}
	if out := janitorOnce(t, bin, suffix); !strings.Contains(out, "reaped "+hstack) {
		t.Errorf("the killed run's stack was not reaped:\n%s", out)
	}
	swarmtest.AssertNoResidue(t, api, hstack)
	swarmtest.AssertNoResidue(t, api, wstack)
	assertNoTicket(t, hstack, wstack)
}
