package containers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/sleep"
)

// ExecResult is what a command run in a container did.
type ExecResult struct {
	ExitCode int
	Stdout   string
	Stderr   string
}

// Output is stdout and stderr together, trimmed, for messages.
func (r ExecResult) Output() string {
	return strings.TrimSpace(strings.TrimSpace(r.Stdout) + "\n" + strings.TrimSpace(r.Stderr))
}

// maxExecOutput bounds each stream kept from one exec.
const maxExecOutput = 1 << 20

// Exec runs cmd in a running container, as `docker exec` without a TTY
// does, with env added to the container's environment, and waits for it to
// exit. A non-zero exit is not an error: read ExitCode. The error is for
// commands that could not run at all (no such container, no such
// executable).
func (c *Client) Exec(ctx context.Context, containerID string, cmd, env []string) (ExecResult, error) {
	api, err := c.EngineOf(ctx, containerID)
	if err != nil {
		return ExecResult{}, fmt.Errorf("exec %q in container %.12s: %w", cmd[0], containerID, err)
	}
	created, err := api.ExecCreate(ctx, containerID, client.ExecCreateOptions{
		Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return ExecResult{}, fmt.Errorf("exec %q in container %.12s: %w", cmd[0], containerID, err)
	}
	att, err := api.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return ExecResult{}, fmt.Errorf("exec %q in container %.12s: attach: %w", cmd[0], containerID, err)
	}
	defer att.Close()
	type output struct {
		res ExecResult
		err error
	}
	done := make(chan output, 1)
	go func() {
		var o output
		o.res.Stdout, o.res.Stderr, o.err = ReadOutput(att.Reader, maxExecOutput)
		done <- o
	}()
	var res ExecResult
	select {
	case o := <-done:
		res, err = o.res, o.err
	case <-ctx.Done():
		att.Close()
		<-done
		return ExecResult{}, fmt.Errorf("exec %q in container %.12s: %w", cmd[0], containerID, ctx.Err())
	}
	if err != nil {
		return ExecResult{}, fmt.Errorf("exec %q in container %.12s: read output: %w", cmd[0], containerID, err)
	}
	ins, err := api.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
	if err != nil {
		return ExecResult{}, fmt.Errorf("exec %q in container %.12s: inspect: %w", cmd[0], containerID, err)
	}
	res.ExitCode = ins.ExitCode
	// The runtime reports an executable it cannot start as exit 126 or 127
	// with its own message on the attached stream.
	if (res.ExitCode == 126 || res.ExitCode == 127) && IsExecNotFound(res.Output()) {
		return res, fmt.Errorf("exec %q in container %.12s: %w: %s", cmd[0], containerID, ErrNoExecutable, res.Output())
	}
	return res, nil
}

// ErrNoExecutable is wrapped by Exec when the command's executable is not in
// the container.
var ErrNoExecutable = errors.New("executable not found in the container")

// IsExecNotFound says whether a container runtime's message (an exec's
// output, a container start's error) is its report of an executable it
// could not find.
func IsExecNotFound(out string) bool {
	out = strings.ToLower(out)
	return strings.Contains(out, "executable file not found") || strings.Contains(out, "no such file or directory") && strings.Contains(out, "oci runtime")
}

// shells are tried in order to run a shell command in a container: a POSIX
// shell where the image has one, else busybox's (images built FROM scratch
// with a static busybox have no applet links).
var shells = [][]string{{"/bin/sh", "-c"}, {"/bin/busybox", "sh", "-c"}}

// ExecShell runs a shell command line in a container with the first shell
// the container has (see shells), as backup tools run their hooks. The
// command runs with `set -o pipefail` where the shell supports it, so a
// failing dump piped into a compressor fails the hook.
func (c *Client) ExecShell(ctx context.Context, containerID, command string, env []string) (ExecResult, error) {
	var firstErr error
	for _, sh := range shells {
		line := "(set -o pipefail) 2>/dev/null && set -o pipefail\n" + command
		res, err := c.Exec(ctx, containerID, append(slices.Clone(sh), line), env)
		if errors.Is(err, ErrNoExecutable) {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		return res, err
	}
	return ExecResult{}, fmt.Errorf("no shell in container %.12s (tried /bin/sh and /bin/busybox): %w", containerID, firstErr)
}

// ServiceContainer returns the ID of a running container of service (its
// full name), from its current tasks: the container a hook or a backup
// runs in, as `docker exec` into the service would pick. A task whose
// container has just started may still report "starting" for a moment:
// it waits up to containerWait for one to report running.
func (c *Client) ServiceContainer(ctx context.Context, service string) (string, error) {
	deadline := time.Now().Add(containerWait)
	for {
		res, err := c.API.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).
			Add("service", service).Add("desired-state", "running")})
		if err != nil {
			return "", fmt.Errorf("list tasks of service %s: %w", service, err)
		}
		tasks := res.Items
		slices.SortFunc(tasks, func(a, b swarm.Task) int { return b.CreatedAt.Compare(a.CreatedAt) })
		for _, t := range tasks {
			if t.Status.State == swarm.TaskStateRunning && t.Status.ContainerStatus != nil && t.Status.ContainerStatus.ContainerID != "" {
				c.nodes.put(t.Status.ContainerStatus.ContainerID, t.NodeID)
				return t.Status.ContainerStatus.ContainerID, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("service %s has no running container", service)
		}
		if err := sleep.For(ctx, 250*time.Millisecond); err != nil {
			return "", fmt.Errorf("service %s: waiting for a running container: %w", service, err)
		}
	}
}

// containerWait bounds ServiceContainer's wait for a running task.
const containerWait = 10 * time.Second

// ReadOutput reads a container's multiplexed output stream (an exec's, or
// its logs) to its end, keeping the first maxBytes of stdout and of stderr
// each and saying how many more bytes there were.
func ReadOutput(r io.Reader, maxBytes int) (stdout, stderr string, err error) {
	var out, errOut limitedBuffer
	out.max, errOut.max = maxBytes, maxBytes
	if _, err := stdcopy.StdCopy(&out, &errOut, r); err != nil && !errors.Is(err, io.EOF) {
		return out.String(), errOut.String(), err
	}
	return out.String(), errOut.String(), nil
}

// limitedBuffer keeps the first max bytes written and counts the rest.
type limitedBuffer struct {
	bytes.Buffer
	max     int
	dropped int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	room := b.max - b.Len()
	if room >= len(p) {
		return b.Buffer.Write(p)
	}
	if room > 0 {
		b.Buffer.Write(p[:room])
	}
	b.dropped += len(p) - max(room, 0)
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	if b.dropped > 0 {
		return b.Buffer.String() + fmt.Sprintf("\n[... %d more bytes]", b.dropped)
	}
	return b.Buffer.String()
}
