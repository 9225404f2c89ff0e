// Package containers reaches the running containers of a swarm's services
// through the Docker Engine API: finding a service's running container,
// running commands in it (Exec, ExecShell, bounded by ExecWithin), copying
// files out and in as `docker cp` does (ArchivePaths, RestoreArchive) and
// reading one file (ReadFile, swarm secrets and configs included).
//
// It is what the public harness needs of the engine, so it depends on the
// moby client and the standard library only: the harness, and with it every
// recipe's precompiled test binary, must not link what deploying takes
// (docker/cli's compose loader, swarmkit, go-git, grpc, ...). The swarm
// deployer (internal/swarm) embeds its Client.
package containers

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
)

// LabelNamespace is Docker's stack label, which the compose converter puts
// on a stack's services, containers, networks, volumes, secrets and configs.
const LabelNamespace = "com.docker.stack.namespace"

// Client is a connection to a swarm manager's Engine API and, through
// Nodes, to the engines of the swarm's other nodes.
type Client struct {
	API *client.Client
	// Nodes reaches the engines of the nodes that run tasks; nil = every
	// container is the manager's (a single-node swarm).
	Nodes NodeEngines

	nodes containerNodes // which node runs which container, as learnt
}

// Connect opens the Docker Engine API from the environment (DOCKER_HOST and
// friends, else the local socket), negotiating the API version down to the
// daemon's, and checks that the engine is a swarm manager (only a manager
// lists a service's tasks).
func Connect(ctx context.Context) (*Client, error) {
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
	return &Client{API: api}, nil
}

// Close closes the API connection, and those to other nodes' engines that
// Nodes opened when it can be closed (HostNodes).
func (c *Client) Close() error {
	if cl, ok := c.Nodes.(interface{ Close() error }); ok {
		cl.Close()
	}
	return c.API.Close()
}
