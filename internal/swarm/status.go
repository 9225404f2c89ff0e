package swarm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// serviceStatus is one service's progress towards convergence.
type serviceStatus struct {
	Name, Short      string // full and compose names
	Desired, Running int
	// Waiting says why the service has not converged; "" once it has.
	Waiting string
	// Hopeless says why the service will not converge; "" while it may.
	Hopeless string
	// Failures holds when each failed or rejected task of the current spec
	// failed.
	Failures []time.Time
	// Tasks are the tasks of the service's current spec, newest first (all
	// of its tasks when none is current yet).
	Tasks []swarm.Task
	// Health is the health status ("starting", "unhealthy") of a running
	// task's container that is not healthy, and Container its ID.
	Health, Container string
}

func (s serviceStatus) converged() bool { return s.Waiting == "" }

// stackStatus reports the progress of every service of app.
func (c *Client) stackStatus(ctx context.Context, app *recipe.App) ([]serviceStatus, error) {
	list, err := c.API.ServiceList(ctx, client.ServiceListOptions{
		Filters: make(client.Filters).Add("label", LabelNamespace+"="+app.Stack),
	})
	if err != nil {
		return nil, fmt.Errorf("list services of stack %s: %w", app.Stack, err)
	}
	byName := map[string]swarm.Service{}
	for _, s := range list.Items {
		byName[s.Spec.Name] = s
	}
	out := make([]serviceStatus, 0, len(app.Services))
	for _, s := range app.Services {
		st := serviceStatus{Name: s.FullName, Short: s.Name}
		svc, ok := byName[s.FullName]
		if !ok {
			st.Waiting = "not deployed"
			out = append(out, st)
			continue
		}
		if err := c.serviceStatus(ctx, svc, &st); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (c *Client) serviceStatus(ctx context.Context, svc swarm.Service, st *serviceStatus) error {
	// "_up-to-date" (what docker service create uses to show progress)
	// keeps the tasks of the current spec: right after an update the old,
	// still running tasks do not count.
	res, err := c.API.TaskList(ctx, client.TaskListOptions{
		Filters: make(client.Filters).Add("service", svc.ID).Add("_up-to-date", "true"),
	})
	if err != nil {
		return fmt.Errorf("list tasks of service %s: %w", st.Name, err)
	}
	current := res.Items
	slices.SortFunc(current, func(a, b swarm.Task) int { return b.CreatedAt.Compare(a.CreatedAt) })
	st.Tasks = current
	if len(current) == 0 {
		// Only to show what the service did last: nothing here counts.
		all, err := c.API.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", svc.ID)})
		if err != nil {
			return fmt.Errorf("list tasks of service %s: %w", st.Name, err)
		}
		st.Tasks = all.Items
		slices.SortFunc(st.Tasks, func(a, b swarm.Task) int { return b.CreatedAt.Compare(a.CreatedAt) })
	}
	for _, t := range current {
		switch t.Status.State {
		case swarm.TaskStateFailed, swarm.TaskStateRejected:
			st.Failures = append(st.Failures, t.Status.Timestamp)
			if strings.Contains(t.Status.Err, "No such image") && st.Hopeless == "" {
				st.Hopeless = t.Status.Err
			}
		case swarm.TaskStateRunning:
			if t.DesiredState != swarm.TaskStateRunning {
				continue
			}
			health, err := c.taskHealth(ctx, t)
			if err != nil {
				return fmt.Errorf("service %s: %w", st.Name, err)
			}
			if health == "" {
				st.Running++
			} else if st.Health == "" {
				st.Health, st.Container = health, t.Status.ContainerStatus.ContainerID
			}
		}
	}
	st.Desired = desiredTasks(svc, current)
	if u := svc.UpdateStatus; u != nil && st.Hopeless == "" {
		switch u.State {
		case swarm.UpdateStatePaused, swarm.UpdateStateRollbackStarted,
			swarm.UpdateStateRollbackPaused, swarm.UpdateStateRollbackCompleted:
			st.Hopeless = fmt.Sprintf("update %s: %s", u.State, u.Message)
		}
	}
	if st.Running < st.Desired || st.Hopeless != "" {
		st.Waiting = waitingFor(st)
	}
	return nil
}

// taskHealth returns "" when a running task's container is up and passes
// its healthcheck (the compose one or the image's own) or has none, else
// what it is instead: its health status, or "container gone".
func (c *Client) taskHealth(ctx context.Context, t swarm.Task) (string, error) {
	if t.Status.ContainerStatus == nil || t.Status.ContainerStatus.ContainerID == "" {
		return "no container yet", nil
	}
	api, err := c.NodeEngine(ctx, t.NodeID)
	if err != nil {
		return "", fmt.Errorf("task %s: %w", t.ID, err)
	}
	res, err := api.ContainerInspect(ctx, t.Status.ContainerStatus.ContainerID, client.ContainerInspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return "container gone", nil
	}
	if err != nil {
		return "", fmt.Errorf("inspect container of task %s: %w", t.ID, err)
	}
	s := res.Container.State
	switch {
	case s == nil || !s.Running:
		return "container not running", nil
	case s.Health == nil || s.Health.Status == container.Healthy || s.Health.Status == container.NoHealthcheck:
		return "", nil
	}
	return string(s.Health.Status), nil
}

// desiredTasks is how many tasks must run: the replica count, or for a
// global service one per task swarm wants running.
func desiredTasks(svc swarm.Service, tasks []swarm.Task) int {
	if r := svc.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
		return int(*r.Replicas)
	}
	n := 0
	for _, t := range tasks {
		if t.DesiredState == swarm.TaskStateRunning {
			n++
		}
	}
	return max(n, 1)
}

// waitingFor describes in a few words what a service waits for.
func waitingFor(st *serviceStatus) string {
	var what string
	switch {
	case st.Hopeless != "":
		what = "failing: " + st.Hopeless
	case st.Health != "":
		what = st.Health
	case len(st.Tasks) == 0:
		what = "no task yet"
	default:
		t := st.Tasks[0]
		what = string(t.Status.State)
		if t.Status.Err != "" {
			what += " (" + t.Status.Err + ")"
		}
	}
	if st.Desired > 1 {
		what = fmt.Sprintf("%d/%d running, %s", st.Running, st.Desired, what)
	}
	return what
}

// summary is the progress line for a set of statuses.
func summary(states []serviceStatus) string {
	var waiting []string
	for _, s := range states {
		if !s.converged() {
			waiting = append(waiting, s.Short+": "+s.Waiting)
		}
	}
	line := fmt.Sprintf("%d/%d services converged", len(states)-len(waiting), len(states))
	if len(waiting) > 0 {
		line += " (waiting for " + strings.Join(waiting, "; ") + ")"
	}
	return line
}
