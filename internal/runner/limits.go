package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/backup"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Limits bound the work a recipe can make a run do, so that a recipe or a
// pull request built to hang or to flood cannot hold the runner. Zero
// fields get the defaults below.
type Limits struct {
	// Deadline bounds the run from its start to the end of its last stage;
	// teardown then gets its own bounded time (teardownTimeout).
	Deadline time.Duration
	// MaxTimeout caps the convergence and readiness timeout the recipe
	// asks for (its coop-cloud.<stack>.timeout label, recipe.toml's
	// timeouts.deploy); below Deploy.Timeout it is raised to it.
	MaxTimeout time.Duration
	// CloneTimeout bounds fetching the recipe: the clone and its fetches.
	CloneTimeout time.Duration
	// HookTimeout bounds each command run in the app's containers for a
	// backup or a data check (backupbot hooks, seed/mutate/verify hooks,
	// markers).
	HookTimeout time.Duration
	// ExecTimeout bounds each Exec, ExecShell and ReadFile of the recipe's
	// own tests.
	ExecTimeout time.Duration
	// MaxArchive bounds one service's backup archive, in bytes.
	MaxArchive int64
	// MaxOutput bounds the output kept of each stage, in bytes (its tail).
	MaxOutput int
	// MaxReadFile bounds a file the recipe's tests read from a container
	// (ReadFile), in bytes.
	MaxReadFile int64
}

// Default limits.
const (
	DefaultDeadline     = 60 * time.Minute
	DefaultMaxTimeout   = 30 * time.Minute
	DefaultCloneTimeout = 5 * time.Minute
	DefaultHookTimeout  = backup.DefaultHookTimeout
	DefaultExecTimeout  = 5 * time.Minute
	DefaultMaxArchive   = backup.DefaultMaxArchive
	DefaultMaxOutput    = 64 << 10
	DefaultMaxReadFile  = 64 << 20
)

// withDefaults returns l with every zero field at its default, and
// MaxTimeout never below timeout.
func (l Limits) withDefaults(timeout time.Duration) Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.Deadline, DefaultDeadline)
	def(&l.MaxTimeout, DefaultMaxTimeout)
	def(&l.CloneTimeout, DefaultCloneTimeout)
	def(&l.HookTimeout, DefaultHookTimeout)
	def(&l.ExecTimeout, DefaultExecTimeout)
	l.MaxTimeout = max(l.MaxTimeout, timeout)
	if l.MaxArchive <= 0 {
		l.MaxArchive = DefaultMaxArchive
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = DefaultMaxOutput
	}
	if l.MaxReadFile <= 0 {
		l.MaxReadFile = DefaultMaxReadFile
	}
	return l
}

// deadlineError is the cause of a run's context ending at its deadline.
type deadlineError struct{ d time.Duration }

func (e deadlineError) Error() string { return fmt.Sprintf("the run's deadline (%s) was reached", e.d) }

// withDeadline bounds a run's context by its deadline, with a cause that
// tells it apart from a cancellation.
func withDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, deadlineError{d})
}

// stopped says why ctx ended: the run's deadline (and during which
// stage), or a cancellation.
func (r *Run) stopped(ctx context.Context) string {
	var de deadlineError
	if errors.As(context.Cause(ctx), &de) {
		if r.deadlineStage != "" {
			return de.Error() + " during " + r.deadlineStage
		}
		return de.Error()
	}
	return "cancelled"
}

// markDeadline records res as the stage during which the run's deadline
// passed, the first time it has, and says so in its reason (or note).
func (r *Run) markDeadline(ctx context.Context, res *results.Stage) {
	var de deadlineError
	if r.deadlineStage != "" || !errors.As(context.Cause(ctx), &de) {
		return
	}
	r.deadlineStage = res.Name
	if res.Status == results.Fail {
		res.Reason = de.Error() + ": " + res.Reason
		return
	}
	if res.Note != "" {
		res.Note += "; "
	}
	res.Note += de.Error() + " as this stage ended"
}

// open fetches and loads the recipe at ref, the fetch bounded by the
// clone timeout: a forge that accepts the connection and never answers
// fails the plan instead of holding the run.
func (r *Run) open(ctx context.Context, location, ref string) (*recipe.Recipe, error) {
	octx, cancel := context.WithTimeout(ctx, r.cfg.limits.CloneTimeout)
	defer cancel()
	rec, err := recipe.Open(octx, location, ref, r.cfg.output.WorkDir)
	if err != nil && ctx.Err() == nil && errors.Is(octx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("fetching recipe %s: not done within the clone timeout (%s): %w", redact.URLCredentials(location), r.cfg.limits.CloneTimeout, err)
	}
	return rec, err
}
