package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// Run from a container on a bridge network of its own (as an Actions
// runner starts a container action), recipe-test reaches an app's TCP and
// UDP ways in through the run's reach network: the service behind Traefik
// TCP/UDP routers and the one that only publishes ports, which joins the
// reach network too. Readiness probes all four streams and teardown
// leaves nothing.
func TestStreamsFromBridgeContainer(t *testing.T) {
	testenv.Swarm(t)
	img := testenv.FixtureImage(t, "streams", "1")
	root := testenv.RepoRoot(t)
	code, log := runInBridgeContainer(t, t.TempDir(), img, "streams", []mount.Mount{
		{Type: mount.TypeBind, Source: filepath.Join(root, "testdata"), Target: "/testdata", ReadOnly: true},
	}, "run", "--recipe", "/testdata/recipes/streams", "--enrollment", "/testdata/enrollments/streams",
		"--stages", "install", "--out", "/x/out", "--lock-dir", "/x/locks", "--no-janitor", "--domain-suffix", "streams-ctr.test")
	if code != 0 {
		t.Fatalf("the run exited %d:\n%s", code, log)
	}
	for _, want := range []string{"it joins the run's network", "joined network",
		"-line -> app:7000 answered \"streams ready", "-dgram -> app:7001 answered \"echo: ping\"",
		"-> published:7000 accepted a connection", "-> published:7001 answered \"echo: ping\"", "nothing left"} {
		if !strings.Contains(log, want) {
			t.Errorf("run log lacks %q:\n%s", want, log)
		}
	}
	assertNoResidueOf(t, log)
}

// runInBridgeContainer runs recipe-test (built static, at /x/recipe-test)
// with args in a container of image on a bridge network of its own, as an
// Actions runner starts a container action, with the Docker socket, dir at
// /x, and mounts. It returns the exit code and the log; the container and
// the network go at the test's end.
func runInBridgeContainer(t *testing.T, dir, image, what string, mounts []mount.Mount, args ...string) (int64, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	// A static binary: the container's image is a fixture's, FROM scratch.
	bin := filepath.Join(dir, "recipe-test")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/recipe-test")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	name := "recipe-test-" + what + "-" + id
	if _, err := api.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}
	ctr, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   name,
		Config: &container.Config{Image: image, Entrypoint: []string{"/x/recipe-test"}, Cmd: args},
		HostConfig: &container.HostConfig{
			NetworkMode: container.NetworkMode(name),
			Tmpfs:       map[string]string{"/tmp": ""},
			Mounts: append([]mount.Mount{
				{Type: mount.TypeBind, Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"},
				{Type: mount.TypeBind, Source: dir, Target: "/x"},
			}, mounts...),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bg, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := api.ContainerRemove(bg, ctr.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Errorf("remove container %s: %v", name, err)
		}
		if _, err := api.NetworkRemove(bg, name, client.NetworkRemoveOptions{}); err != nil {
			t.Errorf("remove network %s: %v", name, err)
		}
	})
	wait := api.ContainerWait(ctx, ctr.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := api.ContainerStart(ctx, ctr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	var code int64
	select {
	case res := <-wait.Result:
		code = res.StatusCode
	case err := <-wait.Error:
		t.Fatalf("waiting for the run: %v", err)
	}
	logs, err := api.ContainerLogs(ctx, ctr.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, _ = stdcopy.StdCopy(&out, &out, logs)
	logs.Close()
	return code, out.String()
}

// assertNoResidueOf checks, independently of the run, that nothing of the
// stacks its log names ("stack X" in its plan lines) remains.
func assertNoResidueOf(t *testing.T, log string) {
	t.Helper()
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	n := 0
	for _, line := range strings.Split(log, "\n") {
		if _, rest, ok := strings.Cut(line, ", stack "); ok {
			stack, _, _ := strings.Cut(rest, ",")
			swarmtest.AssertNoResidue(t, api, stack)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("no stack in the run log:\n%s", log)
	}
}
