package containers

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/moby/moby/client"
)

// HostNodes reaches a swarm's nodes through Docker host URLs the moby
// client dials by itself (unix://, tcp://), by swarm node ID: what the
// runner hands a recipe's tests (facts' nodes), so that the harness execs in
// a task container on any node without linking docker/cli's connection
// helpers. A node the runner reached another way (ssh, a Docker context)
// has no URL here, and is an error naming it.
type HostNodes struct {
	manager *client.Client
	self    string
	hosts   map[string]string // node ID -> Docker host URL; "" for a node the tests cannot dial

	mu   sync.Mutex
	open map[string]*client.Client
}

var _ NodeEngines = (*HostNodes)(nil)

// NewHostNodes maps the nodes of manager's swarm to hosts (node ID ->
// Docker host URL); the manager's own node is the manager's.
func NewHostNodes(ctx context.Context, manager *client.Client, hosts map[string]string) (*HostNodes, error) {
	info, err := manager.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, fmt.Errorf("swarm manager at %s does not answer: %w", manager.DaemonHost(), err)
	}
	return &HostNodes{manager: manager, self: info.Info.Swarm.NodeID, hosts: hosts, open: map[string]*client.Client{}}, nil
}

// Engine returns the engine of the node with this ID, connecting on first use.
func (h *HostNodes) Engine(ctx context.Context, nodeID string) (*client.Client, error) {
	if nodeID == h.self {
		return h.manager, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if api, ok := h.open[nodeID]; ok {
		return api, nil
	}
	host := h.hosts[nodeID]
	if host == "" {
		name := nodeID
		if res, err := h.manager.NodeInspect(ctx, nodeID, client.NodeInspectOptions{}); err == nil && res.Node.Description.Hostname != "" {
			name = res.Node.Description.Hostname
		}
		return nil, fmt.Errorf("swarm node %s (%s): recipe-test handed the tests no Docker host URL for it (a node reached over ssh or through a Docker context is reached by recipe-test alone)", name, nodeID)
	}
	api, err := client.New(client.WithHost(host))
	if err != nil {
		return nil, fmt.Errorf("swarm node %s: engine %s: %w", nodeID, host, err)
	}
	h.open[nodeID] = api
	return api, nil
}

// Close closes the connections Engine opened (not the manager's).
func (h *HostNodes) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for _, api := range h.open {
		errs = append(errs, api.Close())
	}
	clear(h.open)
	return errors.Join(errs...)
}
