package swarm_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// suffix is the domain suffix of this package's stacks.
const suffix = "rmtest.test"

func connect(t *testing.T) *swarm.Client {
	t.Helper()
	testenv.Swarm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := swarm.Connect(ctx, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func inventory(t *testing.T, c *swarm.Client, stack string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Inventory(ctx, stack)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res {
		out = append(out, r.String())
	}
	return out
}

func TestRemoveLeavesNothing(t *testing.T) {
	c := connect(t)
	stack, id := swarmtest.Stack(t, suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// An external network, like abra's "proxy": the stack uses it, Remove
	// must leave it alone.
	ext := "rmtest-ext-" + id
	if _, err := c.API.NetworkCreate(ctx, ext, client.NetworkCreateOptions{Driver: "overlay", Scope: "swarm", Attachable: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.API.NetworkRemove(context.Background(), ext, client.NetworkRemoveOptions{}) })

	swarmtest.Deploy(t, c.API, stack, swarmtest.Options{RunID: id, Networks: []string{ext}})
	before := inventory(t, c, stack)
	var kinds []string
	for _, r := range before {
		kinds = append(kinds, strings.Fields(r)[0])
	}
	if want := []string{"service", "container", "volume", "secret", "config", "network"}; !slices.Equal(kinds, want) {
		t.Fatalf("inventory after deploy = %q, want one of each kind %q", before, want)
	}

	var lines []string
	start := time.Now()
	err := c.Remove(ctx, stack, func(s string) {
		t.Logf("%6.2fs %s", time.Since(start).Seconds(), s)
		lines = append(lines, s)
	})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Remove: %v", err)
	}
	t.Logf("Remove of a 1-service stack took %s", took.Round(10*time.Millisecond))
	for _, want := range []string{"removing 1 service", "waiting for 1 container to stop", "removing 1 network", "removing 1 volume", "removing 1 secret", "removing 1 config"} {
		if !slices.Contains(lines, want) {
			t.Errorf("progress %q lacks %q", lines, want)
		}
	}
	if left := inventory(t, c, stack); len(left) > 0 {
		t.Errorf("Inventory after Remove = %q, want empty", left)
	}
	swarmtest.AssertNoResidue(t, c.API, stack)
	if _, err := c.API.NetworkInspect(ctx, ext, client.NetworkInspectOptions{}); err != nil {
		t.Errorf("external network %s did not survive Remove: %v", ext, err)
	}
	// A second Remove finds nothing and succeeds.
	if err := c.Remove(ctx, stack, nil); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

// A stack removed while its task is still being assigned, prepared or
// started (a run cancelled as its services converge) leaves nothing: the
// node may create the task's container after the service is gone, so
// Remove waits for the removed services' tasks to end as well as for the
// containers it sees.
func TestRemoveWhileTasksStart(t *testing.T) {
	c := connect(t)
	for _, delay := range []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond} {
		t.Run(delay.String(), func(t *testing.T) {
			stack, id := swarmtest.Stack(t, suffix)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			swarmtest.Deploy(t, c.API, stack, swarmtest.Options{RunID: id, NoWait: true})
			time.Sleep(delay)
			if err := c.Remove(ctx, stack, func(s string) { t.Log(s) }); err != nil {
				t.Fatalf("Remove: %v", err)
			}
			if left := inventory(t, c, stack); len(left) > 0 {
				t.Errorf("Inventory right after Remove = %q, want empty", left)
			}
			// What the node creates late shows a moment after.
			time.Sleep(2 * time.Second)
			swarmtest.AssertNoResidue(t, c.API, stack)
		})
	}
}

func TestInventoryFindsLeak(t *testing.T) {
	c := connect(t)
	stack, id := swarmtest.Stack(t, suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	swarmtest.Deploy(t, c.API, stack, swarmtest.Options{RunID: id})

	// A volume that carries the stack label but no stack name, made after
	// the deploy, and a plain container, not part of the stack, holding the
	// stack's volume.
	leakVol := "rmtest-leak-" + id
	if _, err := c.API.VolumeCreate(ctx, client.VolumeCreateOptions{Name: leakVol, Labels: map[string]string{swarm.LabelNamespace: stack}}); err != nil {
		t.Fatal(err)
	}
	holder := "rmtest-holder-" + id
	image := testenv.FixtureImage(t, "webapp", "1")
	ct, err := c.API.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       holder,
		Config:     &container.Config{Image: image, Entrypoint: []string{"/bin/busybox", "sleep", "600"}},
		HostConfig: &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: stack + "_data", Target: "/data"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	removeHolder := func() {
		c.API.ContainerRemove(context.Background(), ct.ID, client.ContainerRemoveOptions{Force: true})
	}
	t.Cleanup(removeHolder) // runs before the stack's cleanup (LIFO)
	if _, err := c.API.ContainerStart(ctx, ct.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}

	inv := inventory(t, c, stack)
	for _, want := range []string{"volume " + leakVol, "container " + holder, "volume " + stack + "_data"} {
		if !slices.Contains(inv, want) {
			t.Errorf("Inventory = %q, lacks %q", inv, want)
		}
	}

	err = c.Remove(ctx, stack, func(s string) { t.Log(s) })
	if err == nil {
		t.Fatal("Remove succeeded although a foreign container holds the stack's volume")
	}
	t.Logf("Remove: %v", err)
	for _, want := range []string{"volume " + stack + "_data", "container " + holder} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Remove error does not name %q: %v", want, err)
		}
	}
	if got, want := inventory(t, c, stack), []string{"container " + holder, "volume " + stack + "_data"}; !slices.Equal(got, want) {
		t.Errorf("Inventory after the failed Remove = %q, want %q", got, want)
	}

	removeHolder()
	if err := c.Remove(ctx, stack, nil); err != nil {
		t.Fatalf("Remove once the holder is gone: %v", err)
	}
	if left := inventory(t, c, stack); len(left) > 0 {
		t.Errorf("Inventory = %q, want empty", left)
	}
	swarmtest.AssertNoResidue(t, c.API, stack)
}

func TestRemoveEmptyStack(t *testing.T) {
	c := connect(t)
	stack, _ := swarmtest.Stack(t, suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var lines []string
	if err := c.Remove(ctx, stack, func(s string) { lines = append(lines, s) }); err != nil {
		t.Fatalf("Remove of an absent stack: %v", err)
	}
	if len(lines) > 0 {
		t.Errorf("progress for an absent stack: %q", lines)
	}
}

// TestRemoveStrayContainer: a container in the stack's namespace that swarm
// does not manage (a hook's, say) is force-removed, so the volume it holds
// can go too.
func TestRemoveStrayContainer(t *testing.T) {
	c := connect(t)
	stack, id := swarmtest.Stack(t, suffix)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	swarmtest.Deploy(t, c.API, stack, swarmtest.Options{RunID: id, NoService: true})
	_, err := c.API.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       stack + "_stray",
		Config:     &container.Config{Image: testenv.FixtureImage(t, "webapp", "1"), Labels: map[string]string{swarm.LabelNamespace: stack}},
		HostConfig: &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: stack + "_data", Target: "/data"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	if err := c.Remove(ctx, stack, func(s string) { lines = append(lines, s) }); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if !slices.Contains(lines, "force-removing 1 container") {
		t.Errorf("progress %q: the stray container was not force-removed", lines)
	}
	swarmtest.AssertNoResidue(t, c.API, stack)
}
