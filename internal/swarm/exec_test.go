package swarm

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// TestExecAndArchives runs commands in a deployed fixture's container and
// round-trips files through an archive, against the real engine.
func TestExecAndArchives(t *testing.T) {
	c, _, app, runID := deployFixture(t, "example")
	ctx := t.Context()
	logf := func(m string) { t.Log(m) }
	if _, err := c.Deploy(ctx, app, DeployOptions{RunID: runID, Progress: logf}); err != nil {
		t.Fatal(err)
	}
	if err := c.Converge(ctx, app, 60*time.Second, logf); err != nil {
		t.Fatal(err)
	}
	svc, _ := app.Service("app")
	id, err := c.ServiceContainer(ctx, svc.FullName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServiceContainer(ctx, app.Stack+"_nope"); err == nil || !strings.Contains(err.Error(), "_nope") {
		t.Errorf("no such service: %v", err)
	}

	// Plain exec: stdout, stderr and the exit code apart; env added.
	res, err := c.Exec(ctx, id, []string{"/bin/busybox", "sh", "-c", `echo out $GREETING; echo err >&2; exit 3`}, []string{"GREETING=hi"})
	if err != nil || res.ExitCode != 3 || res.Stdout != "out hi\n" || res.Stderr != "err\n" {
		t.Errorf("exec = %+v, %v", res, err)
	}
	// The image has no /bin/sh: the command is not found, which is an error.
	if _, err := c.Exec(ctx, id, []string{"/bin/sh", "-c", "true"}, nil); !errors.Is(err, ErrNoExecutable) {
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
	if _, err := c.ArchivePaths(ctx, id, []string{"/data/nope"}, tar.NewWriter(io.Discard)); !errors.Is(err, ErrPathNotFound) || !strings.Contains(err.Error(), "/data/nope") {
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
