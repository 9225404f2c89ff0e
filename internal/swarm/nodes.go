package swarm

import (
	"context"

	"github.com/moby/moby/client"
)

// node is an engine the inventory asks for node-local objects (containers,
// volumes).
type node struct {
	ID    string // swarm node ID; "" for the manager's engine alone
	label string // the hostname, on a multi-node swarm only (Resource.Node)
	API   *client.Client
}

// on is " on node NAME" for messages, or "".
func (n node) on() string {
	if n.label == "" {
		return ""
	}
	return " on node " + n.label
}

// engines returns the engines holding the swarm's node-local objects: every
// node's (internal/multinode), with an error naming each node none reaches,
// or the manager's alone for a client opened without Connect.
func (c *Client) engines(ctx context.Context) ([]node, error) {
	if c.nodes == nil {
		return []node{{API: c.API}}, nil
	}
	all, err := c.nodes.All(ctx)
	var out []node
	for _, n := range all {
		nd := node{ID: n.ID, API: n.API}
		if len(all) > 1 || err != nil {
			nd.label = n.String()
		}
		out = append(out, nd)
	}
	return out, err
}

// engineOf returns the engine holding a node-local object.
func (c *Client) engineOf(ctx context.Context, o Object) (*client.Client, error) {
	return c.NodeEngine(ctx, o.NodeID)
}

// NodeHosts returns the Docker host URLs of the swarm's other nodes that a
// recipe's tests can dial (multinode.Nodes.Hosts), by node ID; nil on a
// client opened without Connect.
func (c *Client) NodeHosts() map[string]string {
	if c.nodes == nil {
		return nil
	}
	return c.nodes.Hosts()
}
