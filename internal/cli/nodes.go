package cli

import (
	"context"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/runner"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// registerNodeFlag declares --node, the endpoints of a swarm's other nodes,
// with --ssh-identity and --ssh-known-hosts for the ssh:// ones (run,
// janitor and teardown).
func registerNodeFlag(f *pflag.FlagSet, n *runner.Nodes) {
	f.StringArrayVar(&n.Endpoints, "node", nil, "NAME=ENDPOINT: how to reach the engine of swarm node NAME (its hostname or ID): a Docker host URL (unix://, tcp://, ssh://) or a Docker context; the manager's own node needs none (repeatable; every other node must have one)")
	f.StringVar(&n.SSH.Identity, "ssh-identity", "", "private key file ssh uses for ssh:// node endpoints (default: ssh's own, from ~/.ssh)")
	f.StringVar(&n.SSH.KnownHosts, "ssh-known-hosts", "", "known_hosts file pinning the host keys of ssh:// node endpoints, checked strictly (default: ~/.ssh/known_hosts)")
}

// connectNodes connects to the swarm manager of the environment and, through
// the endpoints, to the swarm's other nodes. A malformed endpoint or an
// ssh file that cannot be read is a usage error.
func connectNodes(ctx context.Context, log *slog.Logger, nodes runner.Nodes) (*swarm.Client, error) {
	eps, err := runner.ParseNodes(nodes)
	if err != nil {
		return nil, usageError{err}
	}
	c, err := swarm.Connect(ctx, log, eps...)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}
