// Package sleep is the pause of a polling or retrying loop that ends with
// the work it waits for: a cancelled run, a passed deadline or an ended
// test stops the wait at once instead of after it.
package sleep

import (
	"context"
	"time"
)

// For waits d, or until ctx ends, whichever comes first; it returns ctx's
// error when ctx ended (even when d was not positive), else nil.
func For(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
