// Package runlock marks a stack as in use by a live run. A run holds an
// exclusive flock on <dir>/<stack>.lock for as long as its process lives;
// the kernel drops the flock when the process dies, even by SIGKILL, so a
// lock file whose flock can be taken is stale. The janitor reaps only stacks
// whose lock no live process holds.
package runlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// EnvDir names the environment variable that overrides DefaultDir.
const EnvDir = "RECIPE_TEST_LOCK_DIR"

// ErrHeld is returned, wrapped in a *HeldError, when a live process holds
// the lock.
var ErrHeld = errors.New("lock held by a live process")

// Info is what a lock file says about its holder.
type Info struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	RunID   string    `json:"run_id"`
	Started time.Time `json:"started"`
}

// HeldError says who holds a lock Acquire could not take.
type HeldError struct {
	Path   string
	Holder Info // zero when the file could not be read
}

func (e *HeldError) Error() string {
	h := e.Holder
	return fmt.Sprintf("%s: held by pid %d on %s (run %s, since %s)", e.Path, h.PID, h.Host, h.RunID, h.Started.Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Unwrap() error { return ErrHeld }

// Lock is a held run lock.
type Lock struct {
	path string
	f    *os.File
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// DefaultDir returns $RECIPE_TEST_LOCK_DIR, else /run/recipe-test/locks when
// it can be created and written, else <os.TempDir()>/recipe-test-locks.
func DefaultDir() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	const run = "/run/recipe-test/locks"
	if os.MkdirAll(run, 0o755) == nil && unix.Access(run, unix.W_OK) == nil {
		return run
	}
	return filepath.Join(os.TempDir(), "recipe-test-locks")
}

// Path returns the lock file of stack in dir.
func Path(dir, stack string) string { return filepath.Join(dir, stack+".lock") }

// Acquire takes stack's lock in dir (created if needed) for runID, or fails
// with a *HeldError when a live process holds it. A stale file left by a
// dead holder is taken over.
func Acquire(dir, stack, runID string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", stack, err)
	}
	path := Path(dir, stack)
	// A holder may be probed (Held) for an instant: retry briefly before
	// calling the lock held.
	for attempt := 0; ; attempt++ {
		f, err := lockFile(path)
		if errors.Is(err, unix.EWOULDBLOCK) && attempt < 5 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if errors.Is(err, unix.EWOULDBLOCK) {
			info, _ := Read(dir, stack)
			return nil, &HeldError{Path: path, Holder: info}
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if f == nil { // the file was replaced under us: start over
			continue
		}
		host, _ := os.Hostname()
		data, _ := json.Marshal(Info{PID: os.Getpid(), Host: host, RunID: runID, Started: time.Now().UTC()})
		if err := writeInfo(f, data); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: write holder: %w", path, err)
		}
		return &Lock{path: path, f: f}, nil
	}
}

// lockFile opens path and takes its flock without blocking. It returns a
// nil file when path no longer names the locked inode (a releasing holder
// removed it between our open and flock), so the caller retries.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	var held, named unix.Stat_t
	if unix.Fstat(int(f.Fd()), &held) != nil || unix.Stat(path, &named) != nil || held.Ino != named.Ino || held.Dev != named.Dev {
		f.Close()
		return nil, nil
	}
	return f, nil
}

func writeInfo(f *os.File, data []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// Release removes the lock file and drops the flock. The file goes first,
// while still locked, so nobody can take a lock on a file about to vanish.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	rmErr := os.Remove(l.path)
	if errors.Is(rmErr, os.ErrNotExist) {
		rmErr = nil
	}
	closeErr := l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
	if err := errors.Join(rmErr, closeErr); err != nil {
		return fmt.Errorf("release lock %s: %w", l.path, err)
	}
	return nil
}

// Held reports whether a live process holds stack's lock in dir. A missing
// file, or one whose flock can be taken (its holder died), is not held.
func Held(dir, stack string) (bool, error) {
	path := Path(dir, stack)
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", path, err)
	}
	defer f.Close()
	// A shared probe conflicts with the holder's exclusive lock only.
	switch err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); {
	case errors.Is(err, unix.EWOULDBLOCK):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("lock %s: probe: %w", path, err)
	}
	return false, nil
}

// Read returns what stack's lock file in dir says about its holder, live or
// dead.
func Read(dir, stack string) (Info, error) {
	path := Path(dir, stack)
	data, err := os.ReadFile(path)
	if err != nil {
		return Info{}, fmt.Errorf("read lock %s: %w", path, err)
	}
	var info Info
	if err := json.Unmarshal(data, &info); err != nil {
		return Info{}, fmt.Errorf("read lock %s: %w", path, err)
	}
	return info, nil
}
