package containers_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// fixture deploys swarmtest's stack (service <stack>_app of the webapp
// fixture image: a static busybox and no /bin/sh, a volume on /data, a
// secret at /run/secrets/app_secret holding "s3cr3t", a config at
// /etc/webapp/app.conf holding "greeting = hi\n") and returns a client, the
// service and its running container. A cleanup removes the stack and fails
// the test on residue.
func fixture(t *testing.T) (c *containers.Client, service, id string) {
	t.Helper()
	testenv.Swarm(t)
	c, err := containers.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	stack, runID := swarmtest.Stack(t, "containers.test")
	swarmtest.Deploy(t, c.API, stack, swarmtest.Options{RunID: runID})
	service = stack + "_app"
	id, err = c.ServiceContainer(t.Context(), service)
	if err != nil {
		t.Fatal(err)
	}
	return c, service, id
}

// TestExecAndArchives runs commands in a deployed service's container and
// round-trips files through an archive, against the real engine.
func TestExecAndArchives(t *testing.T) {
	c, service, id := fixture(t)
	ctx := t.Context()
	stack := strings.TrimSuffix(service, "_app")
	if _, err := c.ServiceContainer(ctx, stack+"_nope"); err == nil || !strings.Contains(err.Error(), "_nope") {
		t.Errorf("no such service: %v", err)
	}

	// Plain exec: stdout, stderr and the exit code apart; env added.
	res, err := c.Exec(ctx, id, []string{"/bin/busybox", "sh", "-c", `echo out $GREETING; echo err >&2; exit 3`}, []string{"GREETING=hi"})
	if err != nil || res.ExitCode != 3 || res.Stdout != "out hi\n" || res.Stderr != "err\n" {
		t.Errorf("exec = %+v, %v", res, err)
	}
	// The image has no /bin/sh: the command is not found, which is an error.
	if _, err := c.Exec(ctx, id, []string{"/bin/sh", "-c", "true"}, nil); !errors.Is(err, containers.ErrNoExecutable) {
		t.Errorf("exec of a missing executable: %v, want ErrNoExecutable", err)
	}
	// ExecShell falls back to busybox's shell, with pipefail.
	res, err = c.ExecShell(ctx, id, `false | true`, nil)
	if err != nil || res.ExitCode == 0 {
		t.Errorf("pipefail: %+v, %v", res, err)
	}
	res, err = c.ExecShell(ctx, id, `mkdir -p /data/sub 2>/dev/null || /bin/busybox mkdir -p /data/sub; printf '%s' "$V" > /data/sub/f; printf '%s' "$V"`, []string{"V=value 1"})
	if err != nil || res.ExitCode != 0 || res.Stdout != "value 1" {
		t.Fatalf("exec shell = %+v, %v", res, err)
	}

	// Archive a folder and a single file; entries keep absolute paths.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	n, err := c.ArchivePaths(ctx, id, []string{"/data/sub", "/data/sub/f"}, tw)
	if err != nil || tw.Close() != nil {
		t.Fatalf("archive: %v", err)
	}
	names := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names[hdr.Name] = string(b)
	}
	if n != 3 || len(names) != 2 || names["data/sub/f"] != "value 1" {
		t.Errorf("archive holds %d entries %v", n, names)
	}
	if _, err := c.ArchivePaths(ctx, id, []string{"/data/nope"}, tar.NewWriter(io.Discard)); !errors.Is(err, containers.ErrPathNotFound) || !strings.Contains(err.Error(), "/data/nope") {
		t.Errorf("missing path: %v", err)
	}

	// Change and delete, then restore: the archive's content comes back.
	if res, err := c.ExecShell(ctx, id, `printf changed > /data/sub/f`, nil); err != nil || res.ExitCode != 0 {
		t.Fatal(res, err)
	}
	if err := c.RestoreArchive(ctx, id, bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	res, err = c.ExecShell(ctx, id, `read -r v < /data/sub/f; printf '%s' "$v"`, nil)
	if err != nil || res.Stdout != "value 1" {
		t.Errorf("after restore: %+v, %v", res, err)
	}
}
