package harness

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// ExecResult is what a command run in a container did: its exit code and
// its output (Output joins stdout and stderr, for messages).
type ExecResult = swarm.ExecResult

// Bounds of the operations in a service's container, unless the run's
// facts set others.
const (
	DefaultExecTimeout = 5 * time.Minute
	DefaultMaxReadFile = 64 << 20
	// maxSymlinks bounds the links ReadFile follows.
	maxSymlinks = 8
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
func (e *Env) container(ctx context.Context, t testing.TB, c *swarm.Client, service string) string {
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
	c := e.swarmClient(t)
	ctx := testContext(t)
	id := e.container(ctx, t, c, service)
	res, err := swarm.ExecWithin(ctx, e.execTimeout(), func(ctx context.Context) (ExecResult, error) {
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
	c := e.swarmClient(t)
	ctx := testContext(t)
	id := e.container(ctx, t, c, service)
	res, err := swarm.ExecWithin(ctx, e.execTimeout(), func(ctx context.Context) (ExecResult, error) {
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
	c := e.swarmClient(t)
	ctx, cancel := opContext(t, e.execTimeout())
	defer cancel()
	id := e.container(ctx, t, c, service)
	p := path.Clean(file)
	for range maxSymlinks + 1 {
		data, link, err := readEntry(ctx, c, id, p, e.maxReadFile())
		if err == nil && link == "" && len(data) == 0 {
			data, err = readSwarmFile(ctx, c, e.Service(t, service), id, p)
		}
		if err != nil {
			t.Fatalf("harness: read %s in service %s: %v", file, service, err)
		}
		if link == "" {
			return data
		}
		if !path.IsAbs(link) {
			link = path.Join(path.Dir(p), link)
		}
		p = path.Clean(link)
	}
	t.Fatalf("harness: read %s in service %s: more than %d symbolic links", file, service, maxSymlinks)
	return nil
}

// readEntry reads the file at p in a container, or returns the target of
// the symbolic link at p.
func readEntry(ctx context.Context, c *swarm.Client, containerID, p string, maxBytes int64) (data []byte, link string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tw := tar.NewWriter(pw)
		_, err := c.ArchivePaths(ctx, containerID, []string{p}, tw)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	defer func() {
		// Stop the copy (a directory's further entries are not read).
		cancel()
		pr.Close()
		<-done
	}()
	tr := tar.NewReader(pr)
	hdr, err := tr.Next()
	if errors.Is(err, io.EOF) {
		return nil, "", errors.New("the container sent no file")
	}
	if err != nil {
		return nil, "", err
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		return nil, hdr.Linkname, nil
	case tar.TypeReg:
	case tar.TypeDir:
		return nil, "", errors.New("is a directory, not a file")
	default:
		return nil, "", fmt.Errorf("not a regular file (tar type %q)", hdr.Typeflag)
	}
	if hdr.Size > maxBytes {
		return nil, "", fmt.Errorf("is %d bytes, larger than the read limit of %d bytes", hdr.Size, maxBytes)
	}
	if data, err = io.ReadAll(io.LimitReader(tr, maxBytes)); err != nil {
		return nil, "", fmt.Errorf("reading its content: %w", err)
	}
	return data, "", nil
}

// readSwarmFile reads the file at p with cat in the container when a secret
// or a config of the service is mounted there, and returns nothing (an
// empty file) otherwise.
func readSwarmFile(ctx context.Context, c *swarm.Client, service, containerID, p string) ([]byte, error) {
	kind, err := swarmFileMount(ctx, c, service, p)
	if err != nil || kind == "" {
		return nil, err
	}
	q := shellQuote(p)
	res, err := c.ExecShell(ctx, containerID,
		"if command -v cat >/dev/null 2>&1; then exec cat -- "+q+"; else exec /bin/busybox cat -- "+q+"; fi", nil)
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit %d: %s", res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	if err != nil {
		return nil, fmt.Errorf("a swarm %s is mounted there, which the Engine's archive API does not see, and cat in the container failed: %w", kind, err)
	}
	return []byte(res.Stdout), nil
}

// swarmFileMount returns "secret" or "config" when the service mounts one
// at p, else "".
func swarmFileMount(ctx context.Context, c *swarm.Client, service, p string) (string, error) {
	res, err := c.API.ServiceInspect(ctx, service, client.ServiceInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("inspecting service %s: %w", service, err)
	}
	cs := res.Service.Spec.TaskTemplate.ContainerSpec
	if cs == nil {
		return "", nil
	}
	// As the Engine places them: a relative target under /run/secrets for
	// a secret, under / for a config.
	target := func(name, dir string) string {
		if path.IsAbs(name) {
			return path.Clean(name)
		}
		return path.Join(dir, name)
	}
	for _, s := range cs.Secrets {
		if s.File != nil && target(s.File.Name, "/run/secrets") == p {
			return "secret", nil
		}
	}
	for _, cf := range cs.Configs {
		if cf.File != nil && target(cf.File.Name, "/") == p {
			return "config", nil
		}
	}
	return "", nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
