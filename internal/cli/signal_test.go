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

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// buildCLI builds the recipe-test binary once per test.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "recipe-test")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/recipe-test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startSlowRun starts a run of the example recipe whose app starts slowly,
// and returns once the deploy is done and convergence is being waited on.
func startSlowRun(t *testing.T, bin, suffix, out, locks string) (*exec.Cmd, *lockedLog, <-chan error) {
	t.Helper()
	return startSlowRunWith(t, bin, nil, "--domain-suffix", suffix, "--out", out, "--lock-dir", locks)
}

// startSlowRunWith is startSlowRun with extra environment and flags.
func startSlowRunWith(t *testing.T, bin string, env []string, flags ...string) (*exec.Cmd, *lockedLog, <-chan error) {
	t.Helper()
	root := testenv.RepoRoot(t)
	args := append([]string{"run", "--recipe", filepath.Join(root, "testdata", "recipes", "example"),
		"--env", `COMPOSE_FILE="$COMPOSE_FILE:compose.slow.yml"`, "--env", "SLOW_START=60s", "--timeout", "2m"}, flags...)
	return startRunUntil(t, bin, env, "services to converge", args...)
}

// startRunUntil starts recipe-test with args and returns once a line of
// its progress starts with until (or contains it, for an until that does
// not start with "["), with its log so far and its end.
func startRunUntil(t *testing.T, bin string, env []string, until string, args ...string) (*exec.Cmd, *lockedLog, <-chan error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := &lockedLog{}
	reached := make(chan struct{})
	done := make(chan error, 1)
	matches := func(line string) bool {
		if strings.HasPrefix(until, "[") {
			return strings.HasPrefix(line, until)
		}
		return strings.Contains(line, until)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !signalled && matches(sc.Text()) {
				signalled = true
				close(reached)
			}
		}
		done <- cmd.Wait()
	}()
	select {
	case <-reached:
	case err := <-done:
		t.Fatalf("run ended before %q (%v):\n%s", until, err, log)
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("run never reached %q:\n%s", until, log)
	}
	return cmd, log, done
}

// lockedLog is a run's log that one goroutine writes while the test
// reads it.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func stackOf(t *testing.T, log string) string {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if _, rest, ok := strings.Cut(line, ", stack "); ok {
			return strings.TrimRight(strings.Fields(rest)[0], ",")
		}
	}
	t.Fatalf("no stack in:\n%s", log)
	return ""
}

func TestSIGTERMMidDeployLeavesNothing(t *testing.T) {
	testenv.Swarm(t)
	bin := buildCLI(t)
	out := t.TempDir()
	cmd, log, done := startSlowRun(t, bin, "sigterm.test", out, t.TempDir())
	stack := stackOf(t, log.String())
	api, _ := client.New(client.FromEnv)
	defer api.Close()
	t.Cleanup(func() { swarmtest.Cleanup(t, api, stack) })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("no exit after SIGTERM:\n%s", log)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailed {
		t.Errorf("exit = %v, want %d\n%s", err, exitFailed, log)
	}
	if !strings.Contains(log.String(), "[teardown] nothing left: no service, container, volume, secret, config or network of "+stack+" remains") {
		t.Errorf("teardown did not verify:\n%s", log)
	}
	swarmtest.AssertNoResidue(t, api, stack)
	var res struct {
		Status  string
		Residue []string
	}
	data, _ := os.ReadFile(filepath.Join(out, "results.json"))
	if err := json.Unmarshal(data, &res); err != nil || res.Status != "fail" || len(res.Residue) != 0 {
		t.Errorf("results.json: %v %s", err, data)
	}
}

func TestSIGKILLOrphanReapedDecoyKept(t *testing.T) {
	testenv.Swarm(t)
	const suffix = "sigkill.test"
	bin := buildCLI(t)
	locks := t.TempDir()
	cmd, log, done := startSlowRun(t, bin, suffix, t.TempDir(), locks)
	orphan := stackOf(t, log.String())
	api, _ := client.New(client.FromEnv)
	defer api.Close()
	t.Cleanup(func() { swarmtest.Cleanup(t, api, orphan) })
	cmd.Process.Kill()
	<-done
	// A decoy with a run-scoped name and our suffix, but not made by a run
	// (no run label): the janitor must leave it alone.
	decoy := naming.StackName("deco-0ddba1." + suffix)
	swarmtest.Deploy(t, api, decoy, swarmtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	jan := exec.CommandContext(ctx, bin, "janitor", "--grace", "0s", "--domain-suffix", suffix, "--lock-dir", locks)
	outb, err := jan.CombinedOutput()
	if err != nil || !strings.Contains(string(outb), "reaped "+orphan) {
		t.Fatalf("janitor: %v\n%s", err, outb)
	}
	swarmtest.AssertNoResidue(t, api, orphan)
	left, err := swarmtest.Residue(ctx, api, decoy)
	if err != nil || len(left) == 0 {
		t.Errorf("decoy %s was touched: %v %v", decoy, left, err)
	}
}
