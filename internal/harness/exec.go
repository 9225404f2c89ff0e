package harness

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"testing"
	"time"

	swarmtypes "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// ExecResult is what a command run in a container did.
type ExecResult = swarm.ExecResult

// docker connects to the swarm the run deployed to (DOCKER_HOST or the
// local socket, as the runner).
func (e *Env) docker(t testing.TB) *swarm.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := swarm.Connect(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (e *Env) container(t testing.TB, c *swarm.Client, service string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := c.ServiceContainer(ctx, e.Service(t, service))
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return id
}

// Exec runs a command in a running container of a compose service and
// returns its exit code and output; a command that cannot start fails the
// test.
func (e *Env) Exec(t testing.TB, service string, cmd ...string) ExecResult {
	t.Helper()
	c := e.docker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := c.Exec(ctx, e.container(t, c, service), cmd, nil)
	if err != nil {
		t.Fatalf("harness: exec in %s: %v", service, err)
	}
	return res
}

// ExecShell runs a shell script in a running container of a compose
// service (its /bin/sh, else busybox's).
func (e *Env) ExecShell(t testing.TB, service, script string) ExecResult {
	t.Helper()
	c := e.docker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := c.ExecShell(ctx, e.container(t, c, service), script, nil)
	if err != nil {
		t.Fatalf("harness: exec in %s: %v", service, err)
	}
	return res
}

// ReadFile reads a file from a running container of a compose service
// (for example from a volume it mounts), through the Engine API.
func (e *Env) ReadFile(t testing.TB, service, file string) []byte {
	t.Helper()
	c := e.docker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if _, err := c.ArchivePaths(ctx, e.container(t, c, service), []string{file}, tw); err != nil {
		t.Fatalf("harness: read %s in %s: %v", file, service, err)
	}
	tw.Close()
	tr := tar.NewReader(&buf)
	want := path.Clean(file)[1:]
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("harness: read %s in %s: not a regular file", file, service)
		}
		if err != nil {
			t.Fatalf("harness: read %s in %s: %v", file, service, err)
		}
		if hdr.Name == want && hdr.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("harness: read %s in %s: %v", file, service, err)
			}
			return data
		}
	}
}

// WaitConverged waits until every service of the stack runs all its
// tasks, failing the test after timeout.
func (e *Env) WaitConverged(t testing.TB, timeout time.Duration) {
	t.Helper()
	c := e.docker(t)
	WaitUntil(t, timeout, time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for name, full := range e.Services {
			svc, err := c.API.ServiceInspect(ctx, full, client.ServiceInspectOptions{})
			if err != nil {
				return fmt.Errorf("service %s: %w", name, err)
			}
			want := 1
			if r := svc.Service.Spec.Mode.Replicated; r != nil && r.Replicas != nil {
				want = int(*r.Replicas)
			}
			tasks, err := c.API.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", full).Add("desired-state", "running")})
			if err != nil {
				return fmt.Errorf("service %s: %w", name, err)
			}
			running := 0
			for _, tk := range tasks.Items {
				if tk.Status.State == swarmtypes.TaskStateRunning {
					running++
				}
			}
			if running < want {
				return fmt.Errorf("service %s: %d of %d tasks running", name, running, want)
			}
		}
		return nil
	})
}
