package runner

import (
	"context"
	"log/slog"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/backup"
	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/janitor"
	"github.com/cc-ci/recipe-test/v2/internal/multinode"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// Engine is what a run needs of the engine it deploys on, declared here,
// where it is used, as the narrow interfaces of the packages it hands the
// engine to (the janitor, the backup, the data check, the ingress) plus
// what the stages call themselves. The stages know the engine through
// this seam only: *swarm.Client is one, the pipeline's tests drive a fake,
// and another deployer (abra's) can be another.
type Engine interface {
	janitor.Engine    // Objects, Inventory, Remove, Leases (the run's lease)
	backup.Containers // ServiceContainer, ExecShell, ArchivePaths, RestoreArchive (datacheck's too)
	ingress.Resolver  // TaskAddress, for the direct ingress from a host

	// Deploy creates or updates app's stack; the Deployment it returns,
	// even with an error, holds the secrets it made.
	Deploy(ctx context.Context, app *recipe.App, opts swarm.DeployOptions) (*swarm.Deployment, error)
	// Converge waits until every service of app runs (and is healthy).
	Converge(ctx context.Context, app *recipe.App, timeout time.Duration, progress func(string)) error
	// Restart restarts services of app (compose names) so that they start
	// afresh on their volumes, as an operator does after a restore; it need
	// not wait for them: Converge does.
	Restart(ctx context.Context, app *recipe.App, services []string, progress func(string)) error
	// RunOnce runs a throwaway container (recipe.toml's secret commands).
	RunOnce(ctx context.Context, o swarm.OneShot) (swarm.ExecResult, error)
	// NetworkContainer is the engine's container this process runs in
	// ("" on a host); Join attaches it to a stack's reach network.
	NetworkContainer(ctx context.Context) (string, error)
	Join(ctx context.Context, container, stack string) (*swarm.Reach, error)
	Close() error
}

var (
	_ Engine     = (*swarm.Client)(nil)
	_ nodeHoster = (*swarm.Client)(nil) // the custom stage hands the tests its nodes
)

// Connector opens the engine a run deploys on. It is called once the plan
// is made, and only when a selected stage needs an engine (lint does not).
type Connector func(ctx context.Context, log *slog.Logger) (Engine, error)

// ConnectSwarm connects to the swarm manager of the environment
// (DOCKER_HOST, else the local socket): the default Connector.
func ConnectSwarm(ctx context.Context, log *slog.Logger) (Engine, error) {
	return ConnectSwarmNodes(nil)(ctx, log)
}

// ConnectSwarmNodes is ConnectSwarm that reaches the swarm's other nodes
// through the endpoints (Options.Nodes).
func ConnectSwarmNodes(endpoints []multinode.Endpoint) Connector {
	return func(ctx context.Context, log *slog.Logger) (Engine, error) {
		c, err := swarm.Connect(ctx, log, endpoints...)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return c, nil
	}
}
