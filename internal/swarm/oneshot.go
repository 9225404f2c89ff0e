package swarm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
)

// OneShot is a command to run once in a throwaway container of a recipe's
// image: for a value the app needs made per run (a key pair, a key in the
// app's own format) by the app's own tools, never on the runner's host.
type OneShot struct {
	Stack string // the container carries the stack's namespace label and name prefix
	RunID string // and the run's label, so a leak is the run's residue
	Name  string // a word naming what it makes, in the container's name
	Image string
	// Cmd is the whole command line; the image's entrypoint is not used.
	Cmd []string
	// Timeout bounds the command; 0 leaves ctx's own bound.
	Timeout time.Duration
}

// maxOneShotOutput bounds what is kept of each stream of a one-shot
// command.
const maxOneShotOutput = 1 << 20

// RunOnce creates a container of o.Image running o.Cmd without a network
// or capabilities, waits for it to exit (at most o.Timeout) and removes it, whatever
// happened. A non-zero exit is not an error: read ExitCode. The error is
// for a command that could not run or finish (no such image, no such
// executable, a *TimeoutError).
func (c *Client) RunOnce(ctx context.Context, o OneShot) (ExecResult, error) {
	what := fmt.Sprintf("command %q in a container of image %s", o.Cmd[0], o.Image)
	if err := c.ensureImage(ctx, o.Image); err != nil {
		return ExecResult{}, fmt.Errorf("%s: %w", what, err)
	}
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name := fmt.Sprintf("%s_recipe-test-%s-%s", o.Stack, o.Name, hex.EncodeToString(suffix))
	labels := map[string]string{LabelNamespace: o.Stack, LabelRun: o.RunID}
	created, err := c.API.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   name,
		Config: &container.Config{Image: o.Image, Entrypoint: o.Cmd, Cmd: []string{}, Labels: labels, AttachStdout: true, AttachStderr: true},
		// No network: making a value needs none, and the command of a
		// recipe's enrollment has no business reaching anything. No
		// capabilities either: the image comes with the pull request.
		HostConfig: &container.HostConfig{NetworkMode: "none", CapDrop: []string{"ALL"}, SecurityOpt: []string{"no-new-privileges"}},
	})
	if err != nil {
		return ExecResult{}, fmt.Errorf("%s: create: %w", what, err)
	}
	defer func() {
		// Removed under a fresh bound even when ctx is done: the
		// container must not outlive the command.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, err := c.API.ContainerRemove(rctx, created.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			c.Log.Warn("remove one-shot container", "container", name, "err", err)
		}
	}()
	return containers.ExecWithin(ctx, o.Timeout, func(ctx context.Context) (ExecResult, error) {
		return c.runCreated(ctx, created.ID, what)
	})
}

// runCreated starts the container id, waits for it to exit and reads its
// output.
func (c *Client) runCreated(ctx context.Context, id, what string) (ExecResult, error) {
	// Wait before start, as docker run does, so that a fast exit is not
	// missed.
	wait := c.API.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := c.API.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		if containers.IsExecNotFound(err.Error()) {
			return ExecResult{}, fmt.Errorf("%s: %w: %v", what, ErrNoExecutable, err)
		}
		return ExecResult{}, fmt.Errorf("%s: start: %w", what, err)
	}
	var code int
	select {
	case res := <-wait.Result:
		if res.Error != nil && res.Error.Message != "" {
			return ExecResult{}, fmt.Errorf("%s: wait: %s", what, res.Error.Message)
		}
		code = int(res.StatusCode)
	case err := <-wait.Error:
		return ExecResult{}, fmt.Errorf("%s: wait: %w", what, err)
	case <-ctx.Done():
		return ExecResult{}, fmt.Errorf("%s: %w", what, ctx.Err())
	}
	rc, err := c.API.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return ExecResult{}, fmt.Errorf("%s: read output: %w", what, err)
	}
	defer rc.Close()
	stdout, stderr, err := containers.ReadOutput(rc, maxOneShotOutput)
	if err != nil {
		return ExecResult{}, fmt.Errorf("%s: read output: %w", what, err)
	}
	return ExecResult{ExitCode: code, Stdout: stdout, Stderr: stderr}, nil
}

// ensureImage makes image present on the engine, pulling it when it is not
// (as the swarm would for a service's task).
func (c *Client) ensureImage(ctx context.Context, image string) error {
	_, err := c.API.ImageInspect(ctx, image)
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image: %w", err)
	}
	resp, err := c.API.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return fmt.Errorf("image not on the engine, and the pull failed: %w", err)
	}
	defer resp.Close()
	if err := resp.Wait(ctx); err != nil {
		return fmt.Errorf("image not on the engine, and the pull failed: %w", err)
	}
	return nil
}
