package multinode

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// Node is one node of the swarm and the engine that reaches it.
type Node struct {
	ID, Hostname string
	API          *client.Client
}

// String names the node for messages: its hostname, else its ID.
func (n Node) String() string { return cmp.Or(n.Hostname, n.ID) }

// Nodes maps a swarm's nodes to their engines: the manager recipe-test
// talks to reaches its own node, the operator's endpoints the others.
type Nodes struct {
	manager *client.Client
	self    string                    // the manager's node ID
	engines map[string]*client.Client // node ID -> engine, the manager's own excluded
	hosts   map[string]string         // node ID -> Docker host URL of a unix:// or tcp:// endpoint, else ""
}

// Open maps the endpoints to the nodes of manager's swarm. Each endpoint
// must name a node of the swarm (by hostname or ID) and reach that node's
// engine (its swarm node ID is checked): an unknown node, an ambiguous
// hostname, an engine that does not answer or that is another node is an
// error naming the endpoint, and nothing stays open. The manager's own
// node needs no endpoint; naming it anyway is harmless.
func Open(ctx context.Context, manager *client.Client, endpoints []Endpoint) (*Nodes, error) {
	info, err := manager.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, fmt.Errorf("swarm manager at %s does not answer: %w", manager.DaemonHost(), err)
	}
	n := &Nodes{manager: manager, self: info.Info.Swarm.NodeID, engines: map[string]*client.Client{}, hosts: map[string]string{}}
	if len(endpoints) == 0 {
		return n, nil
	}
	list, err := manager.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the swarm's nodes: %w", err)
	}
	for _, e := range endpoints {
		node, err := find(list.Items, e.Node)
		if err == nil && node.ID != n.self {
			err = n.open(ctx, e, node)
		}
		if err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

func (n *Nodes) open(ctx context.Context, e Endpoint, node Node) error {
	api, err := Dial(e)
	if err != nil {
		return err
	}
	if err := checkReaches(ctx, api, e, node); err != nil {
		api.Close()
		return err
	}
	n.engines[node.ID] = api
	n.hosts[node.ID] = ""
	if u, err := url.Parse(e.Target); err == nil && (u.Scheme == "unix" || u.Scheme == "tcp") {
		n.hosts[node.ID] = e.Target
	}
	return nil
}

// Hosts returns, by node ID, every node an endpoint reaches (the manager's
// own excluded) with its Docker host URL when the endpoint is a unix:// or
// tcp:// one, else "": what a recipe's tests can dial without docker/cli's
// connection helpers (facts' nodes).
func (n *Nodes) Hosts() map[string]string { return maps.Clone(n.hosts) }

// find returns the node named name: its ID, else its hostname, which must
// then be unique.
func find(nodes []swarm.Node, name string) (Node, error) {
	var byHost []Node
	for _, sn := range nodes {
		nd := Node{ID: sn.ID, Hostname: sn.Description.Hostname}
		if sn.ID == name {
			return nd, nil
		}
		if nd.Hostname == name {
			byHost = append(byHost, nd)
		}
	}
	switch len(byHost) {
	case 1:
		return byHost[0], nil
	case 0:
		names := make([]string, len(nodes))
		for i, sn := range nodes {
			names[i] = sn.Description.Hostname
		}
		slices.Sort(names)
		return Node{}, fmt.Errorf("node %s: the swarm has no node of that hostname or ID (its nodes: %s)", name, strings.Join(names, ", "))
	default:
		return Node{}, fmt.Errorf("node %s: %d nodes have that hostname: name it by its ID (docker node ls)", name, len(byHost))
	}
}

// Engine returns the engine of the node with this ID (containers.NodeEngines).
func (n *Nodes) Engine(ctx context.Context, nodeID string) (*client.Client, error) {
	if nodeID == n.self {
		return n.manager, nil
	}
	if api, ok := n.engines[nodeID]; ok {
		return api, nil
	}
	return nil, unreached(n.Name(ctx, nodeID), nodeID)
}

// Name returns the hostname of the node with this ID, else the ID.
func (n *Nodes) Name(ctx context.Context, nodeID string) string {
	if res, err := n.manager.NodeInspect(ctx, nodeID, client.NodeInspectOptions{}); err == nil && res.Node.Description.Hostname != "" {
		return res.Node.Description.Hostname
	}
	return nodeID
}

// UnreachedError is a node of the swarm that no endpoint reaches.
type UnreachedError struct {
	Hostname, ID string
}

func (e *UnreachedError) Error() string {
	return fmt.Sprintf("swarm node %s (%s) is not reachable: no endpoint names it (--node %s=ENDPOINT)", e.Hostname, e.ID, e.Hostname)
}

func unreached(hostname, id string) error { return &UnreachedError{Hostname: hostname, ID: id} }

// All returns every node of the swarm with its engine, the manager's own
// first. The nodes no endpoint reaches are left out and named in the error,
// so that an inventory over All can never pass over a node in silence.
func (n *Nodes) All(ctx context.Context) ([]Node, error) {
	list, err := n.manager.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the swarm's nodes: %w", err)
	}
	var out []Node
	var errs []error
	for _, sn := range list.Items {
		nd := Node{ID: sn.ID, Hostname: sn.Description.Hostname}
		switch api, ok := n.engines[sn.ID]; {
		case sn.ID == n.self:
			nd.API = n.manager
		case ok:
			nd.API = api
		default:
			errs = append(errs, unreached(nd.Hostname, nd.ID))
			continue
		}
		out = append(out, nd)
	}
	slices.SortFunc(out, func(a, b Node) int {
		if (a.ID == n.self) != (b.ID == n.self) {
			if a.ID == n.self {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Hostname, b.Hostname)
	})
	return out, errors.Join(errs...)
}

// Self is the manager's own node ID.
func (n *Nodes) Self() string { return n.self }

// Close closes the engines Open dialled (not the manager's).
func (n *Nodes) Close() error {
	var errs []error
	for _, api := range n.engines {
		errs = append(errs, api.Close())
	}
	clear(n.engines)
	return errors.Join(errs...)
}
