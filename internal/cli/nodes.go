package cli

import (
	"context"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/multinode"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// registerNodeFlag declares --node, the endpoints of a swarm's other nodes
// (run, janitor and teardown).
func registerNodeFlag(f *pflag.FlagSet, endpoints *[]string) {
	f.StringArrayVar(endpoints, "node", nil, "NAME=ENDPOINT: how to reach the engine of swarm node NAME (its hostname or ID): a Docker host URL (unix://, tcp://, ssh://) or a Docker context; the manager's own node needs none (repeatable; every other node must have one)")
}

// connectNodes connects to the swarm manager of the environment and, through
// the endpoints, to the swarm's other nodes. A malformed endpoint is a usage
// error.
func connectNodes(ctx context.Context, log *slog.Logger, endpoints []string) (*swarm.Client, error) {
	eps, err := multinode.Parse(endpoints)
	if err != nil {
		return nil, usageError{err}
	}
	c, err := swarm.Connect(ctx, log, eps...)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}
