package swarm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func TestOwnContainerID(t *testing.T) {
	id := strings.Repeat("3f", 32)
	for name, tc := range map[string]struct{ mountinfo, want string }{
		"container": {
			"1052 1044 0:52 / / rw,relatime master:1 - overlay overlay rw\n" +
				"1071 1052 8:1 /var/lib/docker/containers/" + id + "/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/sda1 rw\n" +
				"1072 1052 8:1 /var/lib/docker/containers/" + id + "/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n",
			id,
		},
		"host": {
			"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n" +
				"98 22 0:46 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay rw\n",
			"",
		},
		// Another path that merely names a container's file is no proof.
		"not a mount of the engine's": {
			"1072 1052 8:1 /var/lib/docker/containers/" + id + "/hostname /srv/copy rw - ext4 /dev/sda1 rw\n",
			"",
		},
	} {
		if got := ownContainerID(strings.NewReader(tc.mountinfo)); got != tc.want {
			t.Errorf("%s: ownContainerID = %q, want %q", name, got, tc.want)
		}
	}
}

// A container on a user-defined bridge network, as an Actions runner
// starts a container action, cannot reach a task at its docker_gwbridge
// address; joined to the run's reach network it reaches the routed service
// at the task's address there. The routed service carries the network, the
// unrouted one does not, and teardown removes it with nothing left, even
// while the container is still attached.
func TestReachFromBridgeContainer(t *testing.T) {
	c, _, app, runID := deployFixture(t, "example")
	ctx := t.Context()
	logf := func(m string) { t.Log(m) }
	if _, err := c.Deploy(ctx, app, DeployOptions{RunID: runID, Progress: logf, Reach: true}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if err := c.Converge(ctx, app, 60*time.Second, logf); err != nil {
		t.Fatalf("converge: %v", err)
	}
	appSvc, _ := app.Service("app")
	backend, _ := app.Service("backend")
	reachNet, err := c.API.NetworkInspect(ctx, ReachNetwork(app.Stack), client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reachNet.Network.Attachable || reachNet.Network.Labels[LabelNamespace] != app.Stack || reachNet.Network.Labels[LabelRun] != runID {
		t.Errorf("network %s: attachable %v, labels %v", ReachNetwork(app.Stack), reachNet.Network.Attachable, reachNet.Network.Labels)
	}
	for svc, want := range map[string]bool{appSvc.FullName: true, backend.FullName: false} {
		res, err := c.API.ServiceInspect(ctx, svc, client.ServiceInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		has := false
		for _, n := range res.Service.Spec.TaskTemplate.Networks {
			has = has || n.Target == reachNet.Network.ID // the engine stores IDs
		}
		if has != want {
			t.Errorf("service %s on %s: %v, want %v", svc, ReachNetwork(app.Stack), has, want)
		}
	}

	ctr := bridgeContainer(t, c)
	gw, err := c.TaskAddress(ctx, appSvc.FullName)
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := fetchFrom(ctx, t, c, ctr, gw.String()); ok {
		t.Fatalf("the bridge container reached the task's gateway address %s (%s): the isolation this test relies on is gone", gw, out)
	}

	reach, err := c.Join(ctx, ctr, app.Stack)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	addr, err := reach.TaskAddress(ctx, appSvc.FullName)
	if err != nil {
		t.Fatal(err)
	}
	if len(reach.Subnets()) == 0 || !reach.Subnets()[0].Contains(addr) {
		t.Errorf("task address %s outside the reach network's subnets %v", addr, reach.Subnets())
	}
	if out, ok := fetchFrom(ctx, t, c, ctr, addr.String()); !ok || !strings.Contains(out, "ok") {
		t.Fatalf("GET /health at %s from the joined container: %s", addr, out)
	}
	if _, err := reach.TaskAddress(ctx, backend.FullName); err == nil {
		t.Error("the unrouted backend resolved on the reach network")
	}
	if _, err := c.Join(ctx, ctr, app.Stack); err != nil {
		t.Errorf("joining again: %v", err)
	}

	// Teardown evicts a joiner that never left (a killed run).
	if err := c.Remove(ctx, app.Stack, logf); err != nil {
		t.Fatalf("remove with a container still attached: %v", err)
	}
	left, err := c.Inventory(ctx, app.Stack)
	if err != nil || len(left) > 0 {
		t.Fatalf("left behind: %v (%v)", left, err)
	}
	if err := reach.Leave(ctx); err != nil {
		t.Errorf("leaving a removed network: %v", err)
	}
}

// bridgeContainer starts a busybox container on a user-defined bridge
// network of its own, removed with the network after the test.
func bridgeContainer(t *testing.T, c *Client) string {
	t.Helper()
	ctx := t.Context()
	img := testenv.FixtureImage(t, "webapp", "1")
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	netName := "recipe-test-reach-" + id
	if _, err := c.API.NetworkCreate(ctx, netName, client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}
	ctr, err := c.API.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:       netName,
		Config:     &container.Config{Image: img, Entrypoint: []string{"/bin/busybox", "sleep", "600"}},
		HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(netName)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bg, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := c.API.ContainerRemove(bg, ctr.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			t.Errorf("remove container %s: %v", netName, err)
		}
		if _, err := c.API.NetworkRemove(bg, netName, client.NetworkRemoveOptions{}); err != nil {
			t.Errorf("remove network %s: %v", netName, err)
		}
	})
	if _, err := c.API.ContainerStart(ctx, ctr.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	return ctr.ID
}

// fetchFrom GETs /health on port 8080 of addr from inside the container,
// giving up after 3 seconds.
func fetchFrom(ctx context.Context, t *testing.T, c *Client, ctr, addr string) (string, bool) {
	t.Helper()
	res, err := c.Exec(ctx, ctr, []string{"/bin/busybox", "timeout", "3", "/bin/busybox", "wget", "-q", "-O", "-", "http://" + addr + ":8080/health"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Output(), res.ExitCode == 0
}

// The reach network goes to every service recipe-test must reach: one
// Traefik routes to (HTTP, TCP or UDP labels) or one that publishes a port.
func TestRouted(t *testing.T) {
	for name, tc := range map[string]struct {
		s    recipe.Service
		want bool
	}{
		"http router":          {recipe.Service{Labels: map[string]string{"traefik.http.routers.a.rule": "Host(`x`)"}}, true},
		"tcp router":           {recipe.Service{Labels: map[string]string{"traefik.tcp.routers.a.rule": "HostSNI(`*`)"}}, true},
		"udp router":           {recipe.Service{Labels: map[string]string{"traefik.udp.routers.a.entrypoints": "voice"}}, true},
		"disabled":             {recipe.Service{Labels: map[string]string{"traefik.enable": "false", "traefik.tcp.routers.a.rule": "HostSNI(`*`)"}}, false},
		"published port":       {recipe.Service{Ports: []recipe.Port{{Target: 7000, Protocol: "tcp", Mode: "host"}}}, true},
		"disabled, publishing": {recipe.Service{Labels: map[string]string{"traefik.enable": "false"}, Ports: []recipe.Port{{Target: 53, Protocol: "udp", Mode: "host"}}}, true},
		"neither":              {recipe.Service{Labels: map[string]string{"coop-cloud.x.version": "1"}}, false},
	} {
		if got := Routed(tc.s); got != tc.want {
			t.Errorf("%s: routed = %v, want %v", name, got, tc.want)
		}
	}
}
