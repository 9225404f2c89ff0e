// Package swarm deploys a resolved recipe onto a Docker Swarm through the
// Docker Engine API, with the semantics of `docker stack deploy` and abra's
// naming, waits for it to converge, and removes it again, proving with an
// inventory that nothing carrying the stack's namespace is left.
package swarm

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/lease"
)

// Labels we put on everything a run creates, besides Docker's own
// com.docker.stack.namespace.
const (
	// LabelRun carries the run id; the janitor only reaps what carries it.
	LabelRun = "cc-ci.recipe-test.run"
	// LabelNamespace is Docker's stack label, set by the compose converter.
	LabelNamespace = "com.docker.stack.namespace"
)

// Client is a connection to a swarm manager.
type Client struct {
	API *client.Client
	Log *slog.Logger
}

// Connect opens the Docker Engine API from the environment (DOCKER_HOST and
// friends, else the local socket), negotiating the API version down to the
// daemon's, and checks that the engine is a swarm manager.
func Connect(ctx context.Context, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	api, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	info, err := api.Info(ctx, client.InfoOptions{})
	if err != nil {
		api.Close()
		return nil, fmt.Errorf("docker engine at %s does not answer: %w", api.DaemonHost(), err)
	}
	// Ping's SwarmStatus is nil on API 1.41; Info has it on every version.
	if !info.Info.Swarm.ControlAvailable {
		api.Close()
		return nil, fmt.Errorf("docker engine at %s is not a swarm manager (swarm state %q): run `docker swarm init` or point DOCKER_HOST at a manager",
			api.DaemonHost(), info.Info.Swarm.LocalNodeState)
	}
	return &Client{API: api, Log: log}, nil
}

// Leases is where the swarm keeps run leases (its configs): see
// internal/lease. A method, not only the API field, so that an engine
// interface can ask for it.
func (c *Client) Leases() lease.API { return c.API }

// Close closes the API connection.
func (c *Client) Close() error { return c.API.Close() }
