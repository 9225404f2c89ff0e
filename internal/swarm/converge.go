package swarm

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/heartbeat"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// DefaultConvergeTimeout bounds Converge when neither the caller nor the
// recipe's timeout label sets a limit.
const DefaultConvergeTimeout = 2 * time.Minute

// pollInterval is how often Converge re-checks without an event: task
// state changes (pending, rejected, ...) come with no container event.
const pollInterval = 500 * time.Millisecond

// afterEvent is when Converge looks again after a container event.
const afterEvent = 100 * time.Millisecond

// Converge waits until every service of app has all its desired tasks
// running and, where it has a healthcheck, healthy. timeout <= 0 means the
// app's timeout label, else DefaultConvergeTimeout. progress, when set,
// gets a line each time the state changes.
//
// It fails early, without waiting for the timeout, when a service cannot
// converge (its image is missing, or its tasks keep failing). The error is
// then a *ConvergeError describing each service that did not converge; a
// cancelled ctx gives ctx's error instead.
func (c *Client) Converge(ctx context.Context, app *recipe.App, timeout time.Duration, progress func(string)) error {
	if timeout <= 0 {
		timeout = app.Timeout
	}
	if timeout <= 0 {
		timeout = DefaultConvergeTimeout
	}
	if progress == nil {
		progress = func(string) {}
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Container events wake us up on start, death and health changes; the
	// ticker catches what has no container event (20.10 has no task events).
	ev := c.API.Events(wctx, client.EventsListOptions{Filters: make(client.Filters).
		Add("type", "container").
		Add("label", LabelNamespace+"="+app.Stack).
		Add("event", "start", "die", "oom", "health_status")})
	msgs, errs := ev.Messages, ev.Err
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	// The task state follows a container's health by a few tens of
	// milliseconds, so each event also brings a second look shortly after.
	again := time.NewTimer(time.Hour)
	again.Stop()
	defer again.Stop()

	beat := heartbeat.New(func(line string) {
		progress(line)
		c.Log.Info(line, "stack", app.Stack)
	}, timeout, 0)
	var states []serviceStatus
	watch := failureWatch{}
	for {
		cur, err := c.stackStatus(wctx, app)
		switch {
		case err != nil && wctx.Err() == nil:
			return fmt.Errorf("converge %s: %w", app.Stack, err)
		case err == nil:
			states = cur
			watch.mark(states, time.Now())
			beat.Update(summary(states))
			if done, hopeless := verdict(states); done {
				return nil
			} else if hopeless != "" {
				return c.convergeError(ctx, app, states, hopeless)
			}
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return fmt.Errorf("converge %s: %w", app.Stack, ctx.Err())
			}
			return c.convergeError(ctx, app, states, fmt.Sprintf("timed out after %s", timeout))
		case <-tick.C:
		case <-again.C:
		case <-msgs:
			again.Reset(afterEvent)
		case err := <-errs:
			if wctx.Err() == nil {
				c.Log.Debug("event stream ended: polling only", "stack", app.Stack, "err", err)
			}
			msgs, errs = nil, nil
		}
	}
}

// maxFailedTasks is how many tasks of a service may fail, while nothing
// else is left to wait for, before we call it hopeless: swarm would go on
// restarting it until the timeout.
const maxFailedTasks = 3

// failureWatch decides when failing tasks make a service hopeless. An app
// often crashes a few times while its database starts, so failures count
// only from when every other service has converged. When they already had
// at the first check, every failure counts, even one before Converge began.
type failureWatch struct {
	checked bool
	since   map[string]time.Time // service -> when the others had converged
}

func (w *failureWatch) mark(states []serviceStatus, now time.Time) {
	if w.since == nil {
		w.since = map[string]time.Time{}
	}
	for i := range states {
		s := &states[i]
		if s.converged() || s.Hopeless != "" || !othersConverged(states, i) {
			delete(w.since, s.Name)
			continue
		}
		from, ok := w.since[s.Name]
		if !ok {
			if w.checked {
				from = now
			}
			w.since[s.Name] = from
		}
		n := 0
		for _, at := range s.Failures {
			if !at.Before(from) {
				n++
			}
		}
		if n >= maxFailedTasks {
			s.Hopeless = fmt.Sprintf("%d tasks failed", n)
			if err := lastFailure(s.Tasks); err != "" {
				s.Hopeless += ", the last with: " + err
			}
			s.Waiting = waitingFor(s)
		}
	}
	w.checked = true
}

// lastFailure returns the error of the newest failed or rejected task.
func lastFailure(tasks []swarm.Task) string {
	for _, t := range tasks {
		if t.Status.State == swarm.TaskStateFailed || t.Status.State == swarm.TaskStateRejected {
			return t.Status.Err
		}
	}
	return ""
}

func othersConverged(states []serviceStatus, i int) bool {
	for j, s := range states {
		if j != i && !s.converged() {
			return false
		}
	}
	return true
}

// verdict says whether every service converged, or else why one of them
// never will ("" while all may still).
func verdict(states []serviceStatus) (done bool, hopeless string) {
	done = true
	for _, s := range states {
		if s.Hopeless != "" && hopeless == "" {
			hopeless = fmt.Sprintf("service %s will not converge: %s", s.Name, s.Hopeless)
		}
		done = done && s.converged()
	}
	return done, hopeless
}
