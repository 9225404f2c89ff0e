package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

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
	octx, cancel := context.WithTimeout(ctx, r.Opts.CloneTimeout)
	defer cancel()
	rec, err := recipe.Open(octx, location, ref, r.Opts.WorkDir)
	if err != nil && ctx.Err() == nil && errors.Is(octx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("fetching recipe %s: not done within the clone timeout (%s): %w", redact.URLCredentials(location), r.Opts.CloneTimeout, err)
	}
	return rec, err
}
