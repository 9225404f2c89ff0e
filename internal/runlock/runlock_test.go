package runlock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// childEnv switches the test binary into a lock holder: it takes the lock
// named by the value ("<dir>:<stack>"), says "locked" and sleeps until
// killed.
const childEnv = "RUNLOCK_TEST_HOLD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		dir, stack := filepath.Split(spec)
		if _, err := Acquire(dir, stack, "child"); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const stack = "exam-1a2b3c_lock_test"

func TestAcquireRelease(t *testing.T) {
	dir := t.TempDir()
	if held, err := Held(dir, stack); err != nil || held {
		t.Fatalf("Held before Acquire = %v, %v; want false", held, err)
	}
	l, err := Acquire(dir, stack, "1a2b3c")
	if err != nil {
		t.Fatal(err)
	}
	info, err := Read(dir, stack)
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if info.PID != os.Getpid() || info.RunID != "1a2b3c" || info.Host != host || time.Since(info.Started) > time.Minute {
		t.Errorf("lock file says %+v", info)
	}
	if held, err := Held(dir, stack); err != nil || !held {
		t.Errorf("Held while locked = %v, %v; want true", held, err)
	}
	_, err = Acquire(dir, stack, "other")
	var he *HeldError
	if !errors.Is(err, ErrHeld) || !errors.As(err, &he) || he.Holder.PID != os.Getpid() {
		t.Errorf("second Acquire = %v, want a HeldError naming pid %d", err, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Path()); !os.IsNotExist(err) {
		t.Errorf("lock file still there after Release: %v", err)
	}
	if held, err := Held(dir, stack); err != nil || held {
		t.Errorf("Held after Release = %v, %v; want false", held, err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
}

func TestStaleFileIsNotHeld(t *testing.T) {
	dir := t.TempDir()
	stale := `{"pid":999999,"host":"gone","run_id":"dead00","started":"2020-01-01T00:00:00Z"}`
	if err := os.WriteFile(Path(dir, stack), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	if held, err := Held(dir, stack); err != nil || held {
		t.Fatalf("Held on a file nobody locks = %v, %v; want false", held, err)
	}
	l, err := Acquire(dir, stack, "fresh1")
	if err != nil {
		t.Fatalf("Acquire over a stale file: %v", err)
	}
	defer l.Release()
	if info, err := Read(dir, stack); err != nil || info.RunID != "fresh1" || info.PID != os.Getpid() {
		t.Errorf("lock file after takeover says %+v, %v", info, err)
	}
}

// TestKilledHolder proves the point of flock: a holder killed with SIGKILL
// leaves its file behind, but not its lock.
func TestKilledHolder(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+filepath.Join(dir, stack))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	if held, err := Held(dir, stack); err != nil || !held {
		t.Fatalf("Held with a live child holder = %v, %v; want true", held, err)
	}
	_, err = Acquire(dir, stack, "parent")
	var he *HeldError
	if !errors.As(err, &he) || he.Holder.PID != cmd.Process.Pid || he.Holder.RunID != "child" {
		t.Fatalf("Acquire against the child = %v, want a HeldError naming pid %d", err, cmd.Process.Pid)
	}
	t.Logf("held: %v", err)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // reaped: the kernel has closed its descriptors
	if _, err := os.Stat(Path(dir, stack)); err != nil {
		t.Fatalf("the killed child's lock file should still be there: %v", err)
	}
	if held, err := Held(dir, stack); err != nil || held {
		t.Fatalf("Held after the holder was killed = %v, %v; want false", held, err)
	}
	l, err := Acquire(dir, stack, "parent")
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}

// TestOneHolderAtATime races acquirers against releasers (which remove the
// file) and checks that two never hold the lock at once.
func TestOneHolderAtATime(t *testing.T) {
	dir := t.TempDir()
	var holders, wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				l, err := Acquire(dir, stack, "race")
				if errors.Is(err, ErrHeld) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if n := holders.Add(1); n > 1 {
					t.Errorf("%d holders at once", n)
				}
				wins.Add(1)
				holders.Add(-1)
				if err := l.Release(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if wins.Load() == 0 {
		t.Error("nobody ever got the lock")
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(EnvDir, "/somewhere/locks")
	if got := DefaultDir(); got != "/somewhere/locks" {
		t.Errorf("DefaultDir() with %s set = %q", EnvDir, got)
	}
	t.Setenv(EnvDir, "")
	if _, err := os.Stat("/run/recipe-test"); os.IsNotExist(err) {
		// DefaultDir may create it: leave the machine as we found it.
		t.Cleanup(func() { os.Remove("/run/recipe-test/locks"); os.Remove("/run/recipe-test") })
	}
	if got := DefaultDir(); got != "/run/recipe-test/locks" && got != filepath.Join(os.TempDir(), "recipe-test-locks") {
		t.Errorf("DefaultDir() = %q", got)
	}
}
