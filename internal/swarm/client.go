// Package swarm deploys a resolved recipe onto a Docker Swarm through the
// Docker Engine API, with the semantics of `docker stack deploy` and abra's
// naming, waits for it to converge, and removes it again, proving with an
// inventory that nothing carrying the stack's namespace is left.
package swarm

import (
	"context"
	"log/slog"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/multinode"
)

// Labels we put on everything a run creates, besides Docker's own
// com.docker.stack.namespace.
const (
	// LabelRun carries the run id; the janitor only reaps what carries it.
	LabelRun = "cc-ci.recipe-test.run"
	// LabelNamespace is Docker's stack label, set by the compose converter.
	LabelNamespace = containers.LabelNamespace
)

// What the engine's exec and archive methods (containers.Client's, which
// Client embeds) return, under the names its callers have always used.
type (
	ExecResult   = containers.ExecResult
	TimeoutError = containers.TimeoutError
)

// Errors of the exec and archive methods, for errors.Is.
var (
	ErrNoExecutable = containers.ErrNoExecutable
	ErrPathNotFound = containers.ErrPathNotFound
)

// Client is a connection to a swarm manager. It embeds the connection to
// the containers (internal/containers: the API, exec, archives, reading a
// file), which the harness uses alone, and adds deploying, convergence,
// removal and inventory.
type Client struct {
	*containers.Client
	Log *slog.Logger

	nodes *multinode.Nodes // nil: the manager's engine is the only one
}

// Connect opens the Docker Engine API from the environment (DOCKER_HOST and
// friends, else the local socket), negotiating the API version down to the
// daemon's, and checks that the engine is a swarm manager
// (containers.Connect). The endpoints reach the swarm's other nodes
// (internal/multinode): what is node-local (a task container's exec and
// archives, the containers and volumes of the inventory and of removal)
// goes to the engine of the node that holds it, and a node no endpoint
// reaches fails the inventory, naming it.
func Connect(ctx context.Context, log *slog.Logger, endpoints ...multinode.Endpoint) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := containers.Connect(ctx)
	if err != nil {
		return nil, err
	}
	nodes, err := multinode.Open(ctx, c.API, endpoints)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.Nodes = nodes
	return &Client{Client: c, Log: log, nodes: nodes}, nil
}

// Leases is where the swarm keeps run leases (its configs): see
// internal/lease. A method, not only the API field, so that an engine
// interface can ask for it.
func (c *Client) Leases() lease.API { return c.API }
