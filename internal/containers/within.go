package containers

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TimeoutError says a command in a container was still running when its
// time ran out. The Engine cannot stop an exec: the command is abandoned
// and ends with its container at the latest.
type TimeoutError struct {
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("still running after %s, abandoned", e.Timeout)
}

// ExecWithin runs fn (an exec) with ctx bounded by timeout; timeout 0
// leaves ctx's own bound. When the timeout, not ctx, ended it, the error
// is a *TimeoutError naming it, so a recipe's hook that never returns
// fails its stage with a reason instead of holding the run.
func ExecWithin(ctx context.Context, timeout time.Duration, fn func(context.Context) (ExecResult, error)) (ExecResult, error) {
	if timeout <= 0 {
		return fn(ctx)
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := fn(tctx)
	if err != nil && ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
		return res, &TimeoutError{Timeout: timeout}
	}
	return res, err
}
