package cli

import (
	"context"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/abra"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

// abraFlags configure the abra deployer: run's --abra and --abra-server,
// the action's inputs abra and abra-server.
type abraFlags struct {
	binary, server string
}

func (f *abraFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.binary, "abra", "", "abra deployer: the abra binary (default: abra on PATH)")
	fs.StringVar(&f.server, "abra-server", "", "abra deployer: the abra server context to create the app on; with an abra binary, --deployer auto picks abra")
}

// useDeployer resolves o.Deploy.Deployer (auto, swarm or abra) against the abra
// configuration and, for abra, wires its engine and its lint into o. Asking
// for abra without an abra binary and a server context is an error naming
// what is missing.
func useDeployer(o *runner.Options, f abraFlags) error {
	kind, cfg, err := abra.Choose(o.Deploy.Deployer, abra.Config{Binary: f.binary, Server: f.server}, nil)
	if err != nil {
		return err
	}
	o.Deploy.Deployer = kind
	if kind == abra.Abra {
		o.Deploy.Connect = func(ctx context.Context, log *slog.Logger) (runner.Engine, error) {
			// The plan checked the endpoints before anything connects.
			nodes, err := runner.ParseNodes(o.Nodes)
			if err != nil {
				return nil, err
			}
			d, err := abra.Connect(ctx, cfg, log, nodes...)
			if err != nil {
				return nil, err // not a typed nil in the interface
			}
			return d, nil
		}
		o.Deploy.Linter = abra.Linter(cfg)
	}
	return nil
}
