package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	swarmtypes "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/sleep"
)

// WaitUntil calls check every interval until it returns nil, and fails the
// test with check's last error once timeout has passed (check runs one last
// time at the deadline). It stops early, failing, when the test ends.
func WaitUntil(t testing.TB, timeout, interval time.Duration, check func() error) {
	t.Helper()
	ctx := testContext(t)
	deadline := time.Now().Add(timeout)
	for attempt := 1; ; attempt++ {
		err := check()
		if err == nil {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("harness: still failing after %s (%d attempts): %v", timeout, attempt, err)
		}
		if sleep.For(ctx, min(interval, left)) != nil {
			t.Fatalf("harness: stopped waiting (the test ended) after %d attempts: %v", attempt, err)
		}
	}
}

// convergeCheckTimeout bounds one look at the stack's services.
const convergeCheckTimeout = 30 * time.Second

// WaitConverged waits until every service of the stack runs all the tasks
// it wants (swarm counts a task with a healthcheck as running once it is
// healthy), no service is in the middle of an update, and every service of
// the facts exists; it fails the test after timeout, saying what each
// service still waits for.
func (e *Env) WaitConverged(t testing.TB, timeout time.Duration) {
	t.Helper()
	c := e.dockerClient(t)
	WaitUntil(t, timeout, time.Second, func() error {
		ctx, cancel := opContext(t, convergeCheckTimeout)
		defer cancel()
		return e.converged(ctx, c)
	})
}

// converged returns nil when the stack has converged, else what it waits
// for.
func (e *Env) converged(ctx context.Context, c *containers.Client) error {
	res, err := c.API.ServiceList(ctx, client.ServiceListOptions{
		Filters: make(client.Filters).Add("label", containers.LabelNamespace+"="+e.Stack),
		Status:  true,
	})
	if err != nil {
		return fmt.Errorf("listing the services of stack %s: %w", e.Stack, err)
	}
	if len(res.Items) == 0 {
		return fmt.Errorf("stack %s has no services", e.Stack)
	}
	var waiting []string
	present := map[string]bool{}
	for _, s := range res.Items {
		present[s.Spec.Name] = true
		if w := serviceWaiting(s); w != "" {
			waiting = append(waiting, s.Spec.Name+": "+w)
		}
	}
	for short, full := range e.Services {
		if !present[full] {
			waiting = append(waiting, full+": not deployed (service "+short+")")
		}
	}
	if len(waiting) > 0 {
		slices.Sort(waiting)
		return fmt.Errorf("stack %s has not converged: %s", e.Stack, strings.Join(waiting, "; "))
	}
	return nil
}

// serviceWaiting says what a service waits for, "" when nothing.
func serviceWaiting(s swarmtypes.Service) string {
	if u := s.UpdateStatus; u != nil {
		switch u.State {
		case swarmtypes.UpdateStateUpdating, swarmtypes.UpdateStateRollbackStarted:
			return "update " + string(u.State)
		case swarmtypes.UpdateStatePaused, swarmtypes.UpdateStateRollbackPaused:
			return fmt.Sprintf("update %s: %s", u.State, u.Message)
		}
	}
	st := s.ServiceStatus
	if st == nil {
		return "no task status yet"
	}
	if st.RunningTasks < st.DesiredTasks {
		return fmt.Sprintf("%d of %d tasks running", st.RunningTasks, st.DesiredTasks)
	}
	return ""
}
