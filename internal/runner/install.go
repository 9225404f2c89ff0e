package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// install deploys the recipe at the ref under test, waits for convergence
// (every task running, every healthcheck healthy) and then for readiness
// over the app's domain.
type install struct{}

func (install) Name() string { return StageInstall }

func (install) Run(ctx context.Context, r *Run) error {
	if err := r.deploy(ctx); err != nil {
		return err
	}
	return r.ready(ctx)
}

// timeout is the recipe's timeout label, else the option.
func (r *Run) timeout() time.Duration {
	if r.App.Timeout > 0 {
		return r.App.Timeout
	}
	return r.Opts.Timeout
}

// deploy deploys (or updates, on a redeploy) r.App and waits for it to
// converge. Generated secrets are registered for redaction before anything
// could print them.
func (r *Run) deploy(ctx context.Context) error {
	r.deployAttempted = true
	opts := swarm.DeployOptions{RunID: r.Result.RunID, Progress: func(m string) { r.Logf("%s", m) }}
	if r.Deployment != nil {
		opts.Secrets = r.Deployment.Secrets // an upgrade keeps the app's secrets
	}
	dep, err := r.Swarm.Deploy(ctx, r.App, opts)
	if dep != nil {
		r.Redact.Add(slices.Collect(maps.Values(dep.Secrets))...)
		r.Deployment = dep
	}
	if err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	t := r.timeout()
	r.Logf("waiting up to %s for %d services to converge", t, len(r.App.Services))
	if err := r.Swarm.Converge(ctx, r.App, t, func(m string) { r.Logf("%s", m) }); err != nil {
		return fmt.Errorf("converge: %w", err)
	}
	return nil
}

// ready probes the app over its domain through the run's ingress.
func (r *Run) ready(ctx context.Context) error {
	if err := r.openIngress(ctx); err != nil {
		return err
	}
	path := r.Opts.ProbePath
	if path == "" {
		path = ingress.DefaultProbePath(r.App)
	}
	res, err := ingress.Probe(ctx, r.Ingress, ingress.ProbeOptions{
		Path: path, Accept: r.Opts.ProbeStatuses, Timeout: r.timeout(),
		Progress: func(m string) { r.Logf("%s", m) },
	})
	if err != nil {
		return fmt.Errorf("readiness: %w", err)
	}
	r.Logf("ready: GET %s%s answered %d", r.Ingress.BaseURL(), path, res.Status)
	return nil
}

// openIngress creates the run's ingress once; later stages reuse it.
func (r *Run) openIngress(ctx context.Context) error {
	if r.Ingress != nil {
		return nil
	}
	var err error
	switch r.Opts.Ingress {
	case "traefik":
		r.Ingress, err = ingress.NewTraefik(ingress.TraefikOptions{Domain: r.App.Domain,
			ConnectTo: r.Opts.ConnectTo, CAFile: r.Opts.CAFile, Insecure: r.Opts.Insecure})
	default:
		r.Ingress, err = ingress.NewDirect(ctx, r.App, r.Swarm, r.Opts.Log)
	}
	if err != nil {
		return fmt.Errorf("ingress %s: %w", r.Opts.Ingress, err)
	}
	return nil
}
