package containers_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// A restore gives each file the owner its archive entry names, whatever
// user the container runs as: here a user name that neither the image nor
// the engine's host knows (as an official image's USER mumble or USER node
// is unknown to the host), which the engine would look up, and fail on, if
// the restore asked it to chown to the container's user.
func TestRestoreKeepsOwnersUnderANamedUser(t *testing.T) {
	testenv.Swarm(t)
	img := testenv.FixtureImage(t, "webapp", "1")
	ctx := t.Context()
	c, err := containers.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	name := "recipe-test-owner-" + id
	ctr, err := c.API.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   name,
		Config: &container.Config{Image: img, User: "rt-no-such-user", Entrypoint: []string{"/bin/busybox", "true"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bg, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := c.API.ContainerRemove(bg, ctr.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Errorf("remove container %s: %v", name, err)
		}
	})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []tar.Header{
		{Name: "restored/", Typeflag: tar.TypeDir, Mode: 0o750, Uid: 4242, Gid: 4343},
		{Name: "restored/owned", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 4242, Gid: 4343, Size: 4},
		{Name: "restored/root", Typeflag: tar.TypeReg, Mode: 0o600, Size: 4},
	} {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte("data"))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.RestoreArchive(ctx, ctr.ID, &buf); err != nil {
		t.Fatalf("restore into a container whose user only has a name: %v", err)
	}
	var back bytes.Buffer
	out := tar.NewWriter(&back)
	if _, err := c.ArchivePaths(ctx, ctr.ID, []string{"/restored"}, out); err != nil || out.Close() != nil {
		t.Fatalf("archive the restored files: %v", err)
	}
	want := map[string][3]int64{"restored": {4242, 4343, 0o750}, "restored/owned": {4242, 4343, 0o640}, "restored/root": {0, 0, 0o600}}
	tr := tar.NewReader(&back)
	seen := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := h.Name
		if name[len(name)-1] == '/' {
			name = name[:len(name)-1]
		}
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected entry %s", h.Name)
			continue
		}
		seen++
		if got := [3]int64{int64(h.Uid), int64(h.Gid), h.Mode & 0o7777}; got != w {
			t.Errorf("%s: owner %d:%d mode %o, want %d:%d mode %o", h.Name, got[0], got[1], got[2], w[0], w[1], w[2])
		}
	}
	if seen != len(want) {
		t.Errorf("read back %d of %d entries", seen, len(want))
	}
}
