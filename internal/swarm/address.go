package swarm

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// gatewayBridge is the local bridge that links each swarm task container to
// the host: the one address of a task the host can reach (no VIPs, no
// routing mesh, and overlay addresses must not be used from the host).
const gatewayBridge = "docker_gwbridge"

// TaskAddress returns the docker_gwbridge IPv4 address of a running task of
// the service (its full name), the newest when several run. Container
// inspect does not show that endpoint, so it is read from the bridge's own
// inspect, which lists every attached container by ID.
func (c *Client) TaskAddress(ctx context.Context, serviceFullName string) (netip.Addr, error) {
	tasks, err := c.runningTasks(ctx, serviceFullName)
	if err != nil {
		return netip.Addr{}, err
	}
	gw, err := c.API.NetworkInspect(ctx, gatewayBridge, client.NetworkInspectOptions{})
	if err != nil {
		return netip.Addr{}, fmt.Errorf("inspect network %s: %w", gatewayBridge, err)
	}
	var elsewhere []string
	for _, t := range tasks {
		ep, ok := gw.Network.Containers[t.Status.ContainerStatus.ContainerID]
		if ok && ep.IPv4Address.IsValid() {
			return ep.IPv4Address.Addr(), nil
		}
		if c.nodes != nil && t.NodeID != c.nodes.Self() && !slices.Contains(elsewhere, c.nodes.Name(ctx, t.NodeID)) {
			elsewhere = append(elsewhere, c.nodes.Name(ctx, t.NodeID))
		}
	}
	if len(elsewhere) > 0 {
		// Another node's docker_gwbridge is that node's own.
		return netip.Addr{}, fmt.Errorf("service %s runs on node %s only: a host reaches its own node's tasks alone (run recipe-test in a container of the manager's engine, which joins the run's overlay network, or use the traefik ingress)",
			serviceFullName, strings.Join(elsewhere, ", "))
	}
	return netip.Addr{}, fmt.Errorf("no running task of service %s is attached to %s (is the service on an overlay network?)", serviceFullName, gatewayBridge)
}

// runningTasks lists the service's running tasks that have a container,
// newest first; none is an error naming the service.
func (c *Client) runningTasks(ctx context.Context, serviceFullName string) ([]swarm.Task, error) {
	res, err := c.API.TaskList(ctx, client.TaskListOptions{
		Filters: make(client.Filters).Add("service", serviceFullName).Add("desired-state", "running"),
	})
	if err != nil {
		return nil, fmt.Errorf("list tasks of service %s: %w", serviceFullName, err)
	}
	tasks := slices.DeleteFunc(res.Items, func(t swarm.Task) bool {
		return t.Status.State != swarm.TaskStateRunning || t.Status.ContainerStatus == nil || t.Status.ContainerStatus.ContainerID == ""
	})
	if len(tasks) == 0 {
		return nil, fmt.Errorf("service %s has no running task", serviceFullName)
	}
	slices.SortFunc(tasks, func(a, b swarm.Task) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return tasks, nil
}
