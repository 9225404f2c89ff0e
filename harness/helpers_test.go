package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/facts"
)

// recorder is a testing.TB whose failures and skips are recorded instead
// of ending the real test, to test how helpers fail. Everything else
// (Cleanup, Context, Log, TempDir) is the real test's.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	failed  bool
	skipped bool
	msgs    []string
}

func (r *recorder) note(failed, skipped bool, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = r.failed || failed
	r.skipped = r.skipped || skipped
	if msg != "" {
		r.msgs = append(r.msgs, msg)
	}
}

func (r *recorder) Helper()           {}
func (r *recorder) Fail()             { r.note(true, false, "") }
func (r *recorder) Error(args ...any) { r.note(true, false, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) {
	r.note(true, false, fmt.Sprintf(format, args...))
}
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) SkipNow()                          { r.note(false, true, ""); runtime.Goexit() }
func (r *recorder) Skip(args ...any)                  { r.note(false, true, fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Skipf(format string, args ...any) {
	r.note(false, true, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped
}

func (r *recorder) message() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

// capture runs f with a recorder on a goroutine of its own (Fatal and Skip
// end it with runtime.Goexit) and returns the recorder once f is done.
func capture(t *testing.T, f func(t testing.TB)) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

// wantFailure fails t unless r failed with a message holding every want.
func wantFailure(t *testing.T, r *recorder, wants ...string) {
	t.Helper()
	if !r.Failed() {
		t.Errorf("did not fail (messages: %q)", r.message())
		return
	}
	for _, w := range wants {
		if !strings.Contains(r.message(), w) {
			t.Errorf("failure %q does not mention %q", r.message(), w)
		}
	}
}

// useFacts writes f to a facts file of the test and points
// $RECIPE_TEST_FACTS at it (restored when the test ends).
func useFacts(t *testing.T, f *Facts) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "facts.json")
	if f.MaskFile == "" { // as the runner does: an empty file only it and the tests may write
		f.MaskFile = filepath.Join(dir, "masks")
		if err := os.WriteFile(f.MaskFile, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := facts.Write(path, f); err != nil {
		t.Fatal(err)
	}
	t.Setenv(FactsEnv, path)
}
