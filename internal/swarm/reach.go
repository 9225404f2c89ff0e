package swarm

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// A task's docker_gwbridge address is reachable from the host only: a
// container on another bridge network (how GitHub's self-hosted runner and
// Gitea's act_runner start a container action) is isolated from it. So
// when recipe-test runs in a container, the deploy adds one attachable
// overlay network of the run's own to every service that carries traefik
// labels, and recipe-test joins its own container to it for the run. The
// app's own networks are left as they are: the shared proxy network of an
// operator's swarm may not be attachable, and many recipes put their routed
// service on proxy alone.

// ReachNetwork is the name of the run's own network that recipe-test joins
// to reach a stack's routed services from a container. It carries the
// stack's namespace, so teardown removes it and the inventory sees it.
func ReachNetwork(stack string) string { return stack + "_recipe-test" }

// Routed reports whether recipe-test reaches the service: Traefik would
// route to it (it has traefik labels and does not disable them), or it
// publishes a port. A published port is reached, like a router, at the
// task's container port: from a container, the host's published port is
// behind the same bridge isolation as the task's gateway address.
func Routed(s recipe.Service) bool {
	if len(s.Ports) > 0 {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(s.Labels["traefik.enable"]), "false") {
		return false
	}
	for k := range s.Labels {
		if strings.HasPrefix(k, "traefik.") {
			return true
		}
	}
	return false
}

// reachNetwork creates the run's reach network when it is missing.
func (d *deployer) reachNetwork(ctx context.Context) error {
	name := ReachNetwork(d.app.Stack)
	_, err := d.c.API.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	switch {
	case err == nil:
		return nil
	case !cerrdefs.IsNotFound(err):
		return fmt.Errorf("inspect network %s: %w", name, err)
	}
	labels := d.labels(map[string]string{LabelNamespace: d.app.Stack})
	if _, err := d.c.API.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver: "overlay", Scope: "swarm", Attachable: true, Labels: labels,
	}); err != nil {
		return fmt.Errorf("create network %s: %w", name, err)
	}
	d.progress("network %s created (recipe-test joins it to reach the app)", name)
	return nil
}

// attachReach adds the reach network to the spec of a routed service.
func (d *deployer) attachReach(spec *swarm.ServiceSpec) {
	if !d.opts.Reach {
		return
	}
	i := slices.IndexFunc(d.app.Services, func(s recipe.Service) bool { return s.FullName == spec.Name })
	if i < 0 || !Routed(d.app.Services[i]) {
		return
	}
	name := ReachNetwork(d.app.Stack)
	for _, n := range spec.TaskTemplate.Networks {
		if n.Target == name {
			return
		}
	}
	spec.TaskTemplate.Networks = append(spec.TaskTemplate.Networks, swarm.NetworkAttachmentConfig{Target: name})
}

// containerIDRe finds a container ID in the source of the bind mounts the
// engine makes for every container (/etc/hostname, /etc/hosts,
// /etc/resolv.conf live in /var/lib/docker/containers/<id>/).
var containerIDRe = regexp.MustCompile(`/containers/([0-9a-f]{64})/(?:hostname|hosts|resolv\.conf)$`)

// ownContainerID reads the ID of the container this process runs in from a
// mountinfo listing, or "" when it runs on a host.
func ownContainerID(mountinfo io.Reader) string {
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		// mount ID, parent ID, major:minor, root, mount point, ...
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		switch f[4] {
		case "/etc/hostname", "/etc/hosts", "/etc/resolv.conf":
			if m := containerIDRe.FindStringSubmatch(f[3]); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

// NetworkContainer returns the ID of the container whose network
// namespace this process uses, when it runs in a container of the engine c
// talks to: its own, or the one it shares a namespace with (act and Gitea's
// act_runner start a container action in its job container's namespace,
// `--network container:<job>`). It returns "" when the process runs on a
// host, in a container on the host's network, or in a container of another
// engine: it then reaches tasks as a host does.
func (c *Client) NetworkContainer(ctx context.Context) (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", nil // not Linux, or no /proc: not in a container we can join
	}
	defer f.Close()
	id := ownContainerID(f)
	for hops := 0; id != "" && hops < 4; hops++ {
		res, err := c.API.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if cerrdefs.IsNotFound(err) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("inspect container %.12s: %w", id, err)
		}
		ctr := res.Container
		if ctr.HostConfig == nil {
			return ctr.ID, nil
		}
		switch mode := ctr.HostConfig.NetworkMode; {
		case mode.IsHost():
			return "", nil
		case mode.IsContainer():
			id = mode.ConnectedContainer()
		default:
			return ctr.ID, nil
		}
	}
	return "", nil
}

// Reach is a container of this engine joined to a stack's reach network:
// it resolves a service to its task's address on that network, which
// traffic from inside the container reaches over the overlay itself.
type Reach struct {
	c         *Client
	container string
	network   string
	subnets   []netip.Prefix
}

// Join connects container to the stack's reach network (made by a deploy
// with DeployOptions.Reach); joining again is harmless.
func (c *Client) Join(ctx context.Context, container, stack string) (*Reach, error) {
	name := ReachNetwork(stack)
	res, err := c.API.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("inspect network %s: %w", name, err)
	}
	r := &Reach{c: c, container: container, network: name}
	for _, cfg := range res.Network.IPAM.Config {
		if cfg.Subnet.IsValid() {
			r.subnets = append(r.subnets, cfg.Subnet.Masked())
		}
	}
	if len(r.subnets) == 0 {
		return nil, fmt.Errorf("network %s has no subnet", name)
	}
	if _, ok := res.Network.Containers[container]; ok {
		return r, nil
	}
	if _, err := c.API.NetworkConnect(ctx, name, client.NetworkConnectOptions{Container: container}); err != nil {
		return nil, fmt.Errorf("join container %.12s to network %s: %w", container, name, err)
	}
	return r, nil
}

// Leave disconnects the container from the reach network, so that the
// network can be removed. Leaving a network that is gone is no error.
func (r *Reach) Leave(ctx context.Context) error {
	_, err := r.c.API.NetworkDisconnect(ctx, r.network, client.NetworkDisconnectOptions{Container: r.container, Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) && !strings.Contains(err.Error(), "is not connected") {
		return fmt.Errorf("leave network %s: %w", r.network, err)
	}
	return nil
}

// Network is the reach network's name.
func (r *Reach) Network() string { return r.network }

// Subnets are the reach network's subnets: the only addresses TaskAddress
// answers, and the only ones the ingress may send traffic to.
func (r *Reach) Subnets() []netip.Prefix { return slices.Clone(r.subnets) }

// TaskAddress returns the address on the reach network of the newest
// running task of the service.
func (r *Reach) TaskAddress(ctx context.Context, serviceFullName string) (netip.Addr, error) {
	tasks, err := r.c.runningTasks(ctx, serviceFullName)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, t := range tasks {
		for _, na := range t.NetworksAttachments {
			if na.Network.Spec.Name != r.network {
				continue
			}
			for _, a := range na.Addresses {
				if a.Addr().Is4() && r.contains(a.Addr()) {
					return a.Addr(), nil
				}
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("no running task of service %s is attached to %s (does it carry traefik labels?)", serviceFullName, r.network)
}

func (r *Reach) contains(a netip.Addr) bool {
	return slices.ContainsFunc(r.subnets, func(p netip.Prefix) bool { return p.Contains(a) })
}
