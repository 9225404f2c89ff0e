package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

// recorder is a testing.TB that records Skip and Fatal instead of stopping
// the goroutine, to test the skip-or-fail rule itself.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.failed = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	for _, p := range []string{"go.mod", "scripts/build-fixtures.sh", "testdata/images/fixtures.txt"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("RepoRoot() = %s: %v", root, err)
		}
	}
}

func TestFixturesList(t *testing.T) {
	fixtures := Fixtures(t)
	want := map[string]bool{"recipe-test-fixtures/webapp:1": false, "recipe-test-fixtures/backend:1": false}
	for _, f := range fixtures {
		if _, ok := want[f.Ref()]; ok {
			want[f.Ref()] = true
		}
		if _, err := os.Stat(filepath.Join(RepoRoot(t), "testdata", "images", f.Name, "Dockerfile")); err != nil {
			t.Errorf("fixture %s: %v", f.Ref(), err)
		}
	}
	for ref, found := range want {
		if !found {
			t.Errorf("fixtures.txt does not list %s", ref)
		}
	}
}

func TestUnavailableEngineSkipsOrFails(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))

	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	Swarm(r)
	if testing.Short() {
		if r.skipped == "" {
			t.Fatalf("Swarm in -short mode did not skip")
		}
		return
	}
	if r.skipped == "" || r.failed != "" {
		t.Fatalf("without %s: skipped %q, failed %q; want a skip", RequireEnv, r.skipped, r.failed)
	}
	if !strings.Contains(r.skipped, "no Docker engine") {
		t.Errorf("skip reason %q does not say the engine is missing", r.skipped)
	}

	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	Swarm(r)
	if r.failed == "" || r.skipped != "" {
		t.Fatalf("with %s=1: skipped %q, failed %q; want a failure", RequireEnv, r.skipped, r.failed)
	}

	r = &recorder{TB: t}
	FixtureImage(r, "webapp", "1")
	if r.failed == "" {
		t.Fatalf("FixtureImage with no engine and %s=1 did not fail", RequireEnv)
	}
}

func TestSwarm(t *testing.T) {
	Swarm(t)

	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	res, err := cli.Info(context.Background(), client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Info.Swarm.ControlAvailable {
		t.Fatalf("Swarm passed but the engine is not a manager")
	}
	t.Logf("engine %s (API %s), swarm node %s", res.Info.ServerVersion, cli.ClientVersion(), res.Info.Swarm.NodeID)
}

func TestFixtureImages(t *testing.T) {
	Swarm(t)
	root := RepoRoot(t)

	for _, f := range Fixtures(t) {
		id := FixtureImage(t, f.Name, f.Tag)
		if !strings.HasPrefix(id, "sha256:") {
			t.Errorf("FixtureImage(%s) = %q, want an image ID", f.Ref(), id)
		}
		cli, err := client.New(client.FromEnv)
		if err != nil {
			t.Fatal(err)
		}
		img, err := cli.ImageInspect(context.Background(), id)
		cli.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Config.Labels[FixtureLabel]; got != f.Name {
			t.Errorf("%s: label %s = %q, want %q", f.Ref(), FixtureLabel, got, f.Name)
		}
		if len(img.Config.Labels[FixtureHashLabel]) != 64 {
			t.Errorf("%s: label %s = %q, want a sha256", f.Ref(), FixtureHashLabel, img.Config.Labels[FixtureHashLabel])
		}
	}

	// The images must match the sources they are built from.
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "build-fixtures.sh"), "--check")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-fixtures.sh --check: %v\n%s", err, out)
	}
}

func TestFixtureImageMissing(t *testing.T) {
	Swarm(t)
	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	if id := FixtureImage(r, "does-not-exist", "1"); id != "" {
		t.Fatalf("FixtureImage of a missing image = %q", id)
	}
	if !strings.Contains(r.skipped, "not found") {
		t.Fatalf("missing image: skipped %q, failed %q; want a not-found skip", r.skipped, r.failed)
	}
}
