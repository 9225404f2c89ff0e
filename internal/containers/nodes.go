package containers

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/moby/moby/client"
)

// NodeEngines finds the engine of a swarm node: a task's container lives
// on the node that runs the task, and only that node's engine can exec in
// it or copy its files (internal/multinode implements it, from the
// operator's --node endpoints).
type NodeEngines interface {
	// Engine returns the engine of the node with this ID, or an error
	// naming the node when none reaches it.
	Engine(ctx context.Context, nodeID string) (*client.Client, error)
}

// containerNodes remembers which node runs which task container.
type containerNodes struct {
	mu   sync.Mutex
	byID map[string]string // container ID -> node ID
}

func (n *containerNodes) get(id string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	node, ok := n.byID[id]
	return node, ok
}

func (n *containerNodes) put(id, node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.byID == nil {
		n.byID = map[string]string{}
	}
	n.byID[id] = node
}

// NodeEngine returns the engine of the node with this ID: the manager's
// (API) without Nodes, or for "" (not a swarm task).
func (c *Client) NodeEngine(ctx context.Context, nodeID string) (*client.Client, error) {
	if c.Nodes == nil || nodeID == "" {
		return c.API, nil
	}
	return c.Nodes.Engine(ctx, nodeID)
}

// EngineOf returns the engine that holds a container: the engine of the
// node running the swarm task whose container it is, else (a container
// that is no task, such as recipe-test's own) the manager's.
func (c *Client) EngineOf(ctx context.Context, containerID string) (*client.Client, error) {
	if c.Nodes == nil {
		return c.API, nil
	}
	node, err := c.nodeOf(ctx, containerID)
	if err != nil {
		return nil, err
	}
	return c.NodeEngine(ctx, node)
}

// nodeOf finds the node whose task runs the container (a full ID or a
// prefix of 12 or more characters); "" when no task has it.
func (c *Client) nodeOf(ctx context.Context, containerID string) (string, error) {
	if node, ok := c.nodes.get(containerID); ok {
		return node, nil
	}
	res, err := c.API.TaskList(ctx, client.TaskListOptions{})
	if err != nil {
		return "", fmt.Errorf("find the node of container %.12s: list tasks: %w", containerID, err)
	}
	for _, t := range res.Items {
		cs := t.Status.ContainerStatus
		if cs == nil || cs.ContainerID == "" || t.NodeID == "" {
			continue
		}
		if cs.ContainerID == containerID || len(containerID) >= 12 && strings.HasPrefix(cs.ContainerID, containerID) {
			c.nodes.put(containerID, t.NodeID)
			return t.NodeID, nil
		}
	}
	return "", nil
}
