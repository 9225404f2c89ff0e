package swarm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// logTail is how many log lines a ServiceFailure keeps.
const logTail = 20

// diagnoseTimeout bounds gathering the facts of a ConvergeError, which
// runs on a context of its own: the caller's may be the one that expired.
const diagnoseTimeout = 20 * time.Second

// ConvergeError says why a stack did not converge, service by service.
type ConvergeError struct {
	Stack string
	// Reason is the verdict: a timeout, or the service that cannot converge.
	Reason string
	// Services lists every service that did not converge.
	Services []ServiceFailure
}

// ServiceFailure describes one service that did not converge.
type ServiceFailure struct {
	Service          string // full name
	Running, Desired int
	State            string // the newest task's state
	// Error is the newest task's error ("No such image: ...", "task:
	// non-zero exit (1)"), or the health status of a running task that is
	// not healthy ("unhealthy").
	Error string
	// Health is the output of the last health check, when unhealthy.
	Health string
	// Logs are the last lines the service's newest container printed.
	Logs []string
}

// Error renders the failure over several lines, one block per service.
func (e *ConvergeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack %s did not converge: %s", e.Stack, e.Reason)
	for _, s := range e.Services {
		fmt.Fprintf(&b, "\n  %s: %d/%d tasks running", s.Service, s.Running, s.Desired)
		if s.State != "" {
			fmt.Fprintf(&b, "; newest task %s", s.State)
		}
		if s.Error != "" {
			fmt.Fprintf(&b, ": %s", s.Error)
		}
		if s.Health != "" {
			fmt.Fprintf(&b, "\n    last health check: %s", s.Health)
		}
		if len(s.Logs) > 0 {
			fmt.Fprintf(&b, "\n    last %d log lines:", len(s.Logs))
			for _, l := range s.Logs {
				b.WriteString("\n      | " + l)
			}
		}
	}
	return b.String()
}

// convergeError gathers a ConvergeError for the services in states that
// did not converge.
func (c *Client) convergeError(ctx context.Context, app *recipe.App, states []serviceStatus, reason string) error {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), diagnoseTimeout)
	defer cancel()
	if states == nil {
		fresh, err := c.stackStatus(dctx, app)
		if err != nil {
			return fmt.Errorf("stack %s did not converge: %s (and its state is unknown: %w)", app.Stack, reason, err)
		}
		states = fresh
	}
	e := &ConvergeError{Stack: app.Stack, Reason: reason}
	for _, st := range states {
		if !st.converged() {
			e.Services = append(e.Services, c.diagnose(dctx, st))
		}
	}
	return e
}

// diagnose collects what went wrong with one service: its most telling
// task, that task's last health check and the last logs of its newest
// container that printed anything.
func (c *Client) diagnose(ctx context.Context, st serviceStatus) ServiceFailure {
	f := ServiceFailure{Service: st.Name, Running: st.Running, Desired: st.Desired, State: st.Waiting}
	var containers []string
	if st.Container != "" {
		containers = append(containers, st.Container)
	}
	if t, ok := telling(st.Tasks); ok {
		f.State, f.Error = string(t.Status.State), t.Status.Err
		if cs := t.Status.ContainerStatus; cs != nil && cs.ContainerID != "" {
			containers = append(containers, cs.ContainerID)
		}
	}
	if st.Health != "" {
		f.Error = st.Health
	}
	for _, t := range st.Tasks {
		if cs := t.Status.ContainerStatus; cs != nil && cs.ContainerID != "" && !slices.Contains(containers, cs.ContainerID) {
			containers = append(containers, cs.ContainerID)
		}
	}
	// The newest container may have just been created: take the logs of
	// the newest one of the last few that printed anything.
	for i, id := range containers[:min(len(containers), 3)] {
		if c.containerFacts(ctx, id, i == 0, &f) {
			return f
		}
	}
	tty := len(st.Tasks) > 0 && st.Tasks[0].Spec.ContainerSpec != nil && st.Tasks[0].Spec.ContainerSpec.TTY
	rc, err := c.API.ServiceLogs(ctx, st.Name, client.ServiceLogsOptions{ShowStdout: true, ShowStderr: true, Tail: strconv.Itoa(logTail)})
	if err == nil {
		f.Logs = readLog(rc, tty)
	} else {
		c.Log.Debug("service logs", "service", st.Name, "err", err)
	}
	return f
}

// containerFacts adds a container's last log lines to f and, withHealth,
// its last health check output when it is not healthy. It reports whether
// it found any log line.
func (c *Client) containerFacts(ctx context.Context, id string, withHealth bool, f *ServiceFailure) bool {
	api, err := c.EngineOf(ctx, id)
	if err != nil {
		return false
	}
	insp, err := api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return false
	}
	if s := insp.Container.State; withHealth && s != nil && s.Health != nil && s.Health.Status != container.Healthy && len(s.Health.Log) > 0 {
		f.Health = clipLine(strings.TrimSpace(s.Health.Log[len(s.Health.Log)-1].Output))
		if s.Health.Status == container.Unhealthy && !strings.Contains(f.Error, "unhealthy") {
			f.Error = strings.TrimPrefix(f.Error+"; container unhealthy", "; ")
		}
	}
	tty := insp.Container.Config != nil && insp.Container.Config.Tty
	rc, err := api.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: strconv.Itoa(logTail)})
	if err != nil {
		return false
	}
	f.Logs = readLog(rc, tty)
	return len(f.Logs) > 0
}

// telling returns the task that says most about a service that did not
// converge, tasks being newest first: the newest one that runs or that
// ended with an error. A crash-looping service's newest task is usually a
// fresh one, waiting for its restart delay, that says nothing yet.
func telling(tasks []swarm.Task) (swarm.Task, bool) {
	for _, t := range tasks {
		if t.Status.Err != "" || t.Status.State == swarm.TaskStateRunning {
			return t, true
		}
	}
	if len(tasks) > 0 {
		return tasks[0], true
	}
	return swarm.Task{}, false
}

// readLog reads a log stream (multiplexed unless tty) and returns its last
// logTail non-empty lines.
func readLog(rc io.ReadCloser, tty bool) []string {
	defer rc.Close()
	var buf bytes.Buffer
	src := io.LimitReader(rc, 1<<20)
	if tty {
		_, _ = io.Copy(&buf, src)
	} else {
		// One writer for both streams keeps their lines in order.
		_, _ = stdcopy.StdCopy(&buf, &buf, src)
	}
	var lines []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if l = strings.TrimRight(l, "\r "); l != "" {
			lines = append(lines, clipLine(l))
		}
	}
	return lines[max(0, len(lines)-logTail):]
}

func clipLine(s string) string {
	const maxLine = 400
	if len(s) > maxLine {
		return s[:maxLine] + "…"
	}
	return s
}
