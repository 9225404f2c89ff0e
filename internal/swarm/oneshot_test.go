package swarm

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// RunOnce runs a command in a throwaway container of an image, against the
// real engine: stdout and stderr apart, the exit code, no network, a
// missing executable or image is an error, a timeout is a *TimeoutError,
// and in every case the container is gone afterwards.
func TestRunOnce(t *testing.T) {
	testenv.Swarm(t)
	image := testenv.FixtureImage(t, "webapp", "1")
	c, err := Connect(t.Context(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	stack := "oneshot-" + id + "_test"
	run := func(cmd []string, timeout time.Duration) (ExecResult, error) {
		return c.RunOnce(t.Context(), OneShot{Stack: stack, RunID: id, Name: "secret-k", Image: image, Cmd: cmd, Timeout: timeout})
	}

	res, err := run([]string{"/bin/busybox", "sh", "-c", `echo "out $(/bin/busybox hostname)"; echo err >&2; /bin/busybox ip -o link | /bin/busybox wc -l; /bin/busybox grep CapEff /proc/self/status; exit 3`}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if res.ExitCode != 3 || res.Stderr != "err\n" || len(lines) != 3 || !strings.HasPrefix(lines[0], "out ") {
		t.Fatalf("result %+v", res)
	}
	// Without a network the container has the loopback interface only,
	// and it runs without capabilities.
	if strings.TrimSpace(lines[1]) != "1" {
		t.Errorf("the container has %s network interfaces, want only lo", lines[1])
	}
	if f := strings.Fields(lines[2]); len(f) != 2 || strings.Trim(f[1], "0") != "" {
		t.Errorf("effective capabilities %q, want none", lines[2])
	}

	if _, err := run([]string{"/nope"}, time.Minute); !errors.Is(err, ErrNoExecutable) || !strings.Contains(err.Error(), image) {
		t.Errorf("missing executable: %v", err)
	}
	_, err = run([]string{"/bin/busybox", "sleep", "60"}, time.Second)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Timeout != time.Second {
		t.Errorf("timeout: %v", err)
	}
	_, err = c.RunOnce(t.Context(), OneShot{Stack: stack, RunID: id, Name: "secret-k", Image: "recipe-test-fixtures/does-not-exist:1", Cmd: []string{"/x"}})
	if err == nil || !strings.Contains(err.Error(), "does-not-exist") {
		t.Errorf("missing image: %v", err)
	}

	// While it runs, the container is in the stack's inventory (what
	// teardown and the janitor go by) under the run's label: a leak would
	// be caught.
	done := make(chan error, 1)
	go func() {
		_, err := run([]string{"/bin/busybox", "sleep", "3"}, time.Minute)
		done <- err
	}()
	seen := false
	for deadline := time.Now().Add(3 * time.Second); !seen && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		objs, err := c.Objects(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range stackObjects(objs, stack) {
			seen = seen || o.Kind == KindContainer && strings.HasPrefix(o.Name, stack+"_recipe-test-secret-k-") && o.Labels[LabelRun] == id
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Error("the running container never showed in the stack's inventory with the run's label")
	}

	// Nothing is left: no container of the stack, exited or not.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.API.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", LabelNamespace+"="+stack)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range list.Items {
		t.Errorf("container left: %v %s", ct.Names, ct.State)
	}
	if inv, err := c.Inventory(ctx, stack); err != nil || len(inv) != 0 {
		t.Errorf("inventory %v, %v", inv, err)
	}
}
