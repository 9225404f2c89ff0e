package harness

import (
	"context"
	"path"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
)

// ExecResult is what a command run in a container did: its exit code and
// its output (Output joins stdout and stderr, for messages).
type ExecResult = containers.ExecResult

// Bounds of the operations in a service's container, unless the run's
// facts set others.
const (
	DefaultExecTimeout = 5 * time.Minute
	DefaultMaxReadFile = 64 << 20
)

func (e *Env) execTimeout() time.Duration {
	if e.ExecTimeoutS > 0 {
		return time.Duration(e.ExecTimeoutS) * time.Second
	}
	return DefaultExecTimeout
}

func (e *Env) maxReadFile() int64 {
	if e.MaxReadFile > 0 {
		return e.MaxReadFile
	}
	return DefaultMaxReadFile
}

// container returns the ID of a running container of a compose service.
func (e *Env) container(ctx context.Context, t testing.TB, c *containers.Client, service string) string {
	t.Helper()
	id, err := c.ServiceContainer(ctx, e.Service(t, service))
	if err != nil {
		t.Fatalf("harness: finding a running container of service %s: %v", service, err)
	}
	return id
}

// Exec runs a command (no shell) in a running container of a compose
// service, as `docker exec` does, and returns its exit code and output. A
// non-zero exit does not fail the test: check ExitCode. A command that
// cannot run (no such executable, no running container) fails it, and so
// does one still running after the run's exec timeout (5 minutes unless
// the operator set another).
func (e *Env) Exec(t testing.TB, service string, cmd ...string) ExecResult {
	t.Helper()
	if len(cmd) == 0 {
		t.Fatalf("harness: exec in %s: no command", service)
	}
	c := e.dockerClient(t)
	ctx := testContext(t)
	id := e.container(ctx, t, c, service)
	res, err := containers.ExecWithin(ctx, e.execTimeout(), func(ctx context.Context) (ExecResult, error) {
		return c.Exec(ctx, id, cmd, nil)
	})
	if err != nil {
		t.Fatalf("harness: exec in service %s: %v", service, err)
	}
	return res
}

// ExecShell runs a shell script in a running container of a compose
// service, with its /bin/sh, else busybox's, under `set -o pipefail` where
// the shell has it. Like Exec, a non-zero exit does not fail the test.
func (e *Env) ExecShell(t testing.TB, service, script string) ExecResult {
	t.Helper()
	c := e.dockerClient(t)
	ctx := testContext(t)
	id := e.container(ctx, t, c, service)
	res, err := containers.ExecWithin(ctx, e.execTimeout(), func(ctx context.Context) (ExecResult, error) {
		return c.ExecShell(ctx, id, script, nil)
	})
	if err != nil {
		t.Fatalf("harness: exec shell in service %s: %v", service, err)
	}
	return res
}

// ReadFile returns the content of a file in a running container of a
// compose service (on a volume it mounts, or in its image), read through
// the Engine API as `docker cp` does, so the image needs no tools.
// Symbolic links are followed. A missing path, one that is not a regular
// file, or one larger than the run's read limit (64 MiB unless the
// operator set another) fails the test.
//
// The Engine's archive API does not see swarm secrets and configs (it
// copies their empty mount points), so a file mounted from one is read with
// cat in the container instead: that needs cat, or /bin/busybox, in the
// image.
func (e *Env) ReadFile(t testing.TB, service, file string) []byte {
	t.Helper()
	if !path.IsAbs(file) {
		t.Fatalf("harness: read %s in service %s: not an absolute path", file, service)
	}
	c := e.dockerClient(t)
	ctx, cancel := opContext(t, e.execTimeout())
	defer cancel()
	full := e.Service(t, service)
	id := e.container(ctx, t, c, service)
	data, err := c.ReadFile(ctx, full, id, file, e.maxReadFile())
	if err != nil {
		t.Fatalf("harness: service %s: %v", service, err)
	}
	return data
}
