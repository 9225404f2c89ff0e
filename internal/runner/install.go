package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// install deploys the recipe at the ref under test, on a fresh stack,
// waits for convergence (every task running, every healthcheck healthy)
// and then for readiness over the app's domain. It always installs the
// head, even when an upgrade follows: L1 means the pull request's head
// installs fresh, and the upgrade stage starts over from the base release.
type install struct{}

func (install) Name() string { return StageInstall }

func (install) Run(ctx context.Context, r *Run, rec *Record) error {
	if err := r.deploy(ctx, rec, r.App); err != nil {
		return err
	}
	return r.ready(ctx, rec)
}

// timeout is recipe.toml's deploy timeout, else the recipe's timeout
// label, else the option. What the recipe asks for is capped at
// MaxTimeout, and the stage's note says so.
func (r *Run) timeout(rec *Record) time.Duration {
	app := r.Deployed
	if app == nil {
		app = r.App
	}
	t, from := r.cfg.deploy.Timeout, ""
	switch {
	case r.Enrollment.DeployTimeout() > 0:
		t, from = r.Enrollment.DeployTimeout(), r.Enrollment.File+" timeouts.deploy"
	case app.Timeout > 0:
		t, from = app.Timeout, "the recipe's timeout label coop-cloud.${STACK_NAME}.timeout"
	}
	if from != "" && t > r.cfg.limits.MaxTimeout {
		r.noteOnce(rec, fmt.Sprintf("%s asks for %s: capped at the maximum timeout, %s", from, t, r.cfg.limits.MaxTimeout))
		t = r.cfg.limits.MaxTimeout
	}
	return t
}

// deploy deploys (or updates, on a redeploy or an upgrade) app and waits
// for it to converge. Secrets are reused across deploys; generated ones are
// registered for redaction before anything could print them.
func (r *Run) deploy(ctx context.Context, rec *Record, app *recipe.App) error {
	r.deployAttempted = true
	opts := swarm.DeployOptions{RunID: r.Result.RunID, Progress: func(m string) { r.Logf("%s", m) }, Reach: r.container != ""}
	// recipe.toml's secret commands run before the first deploy, in a
	// container of their own.
	if err := r.runSecretCommands(ctx); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	// Supplied values, and what earlier deploys made: an upgrade or a
	// redeploy keeps the app's secrets.
	opts.Secrets = r.secretValues()
	if r.Deployed != app && r.Ingress != nil {
		// Routes may differ between releases: the ingress follows the app.
		r.Ingress.Close()
		r.Ingress = nil
	}
	r.Deployed = app
	dep, err := r.Engine.Deploy(ctx, app, opts)
	if dep != nil {
		r.Redact.Add(slices.Collect(maps.Values(dep.Secrets))...)
		if r.cfg.hooks.OnSecret != nil {
			for _, v := range dep.Secrets {
				r.cfg.hooks.OnSecret(v)
			}
		}
		r.Deployment = dep
	}
	if err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	t := r.timeout(rec)
	r.Logf("waiting up to %s for %d services to converge", t, len(app.Services))
	if err := r.Engine.Converge(ctx, app, t, func(m string) { r.Logf("%s", m) }); err != nil {
		return fmt.Errorf("converge: %w", err)
	}
	return nil
}

// ready probes the app over its domain through the run's ingress, then
// its TCP and UDP ways in (readyStreams).
func (r *Run) ready(ctx context.Context, rec *Record) error {
	if err := r.openIngress(ctx, rec); err != nil {
		// No router this ingress can serve is the app not being reachable:
		// a readiness failure of a deployed app, not bad input.
		return fmt.Errorf("readiness: %w", err)
	}
	if !r.probesHTTP() {
		return r.readyStreams(ctx, rec)
	}
	path := r.cfg.ingress.Probe.Path
	if path == "" {
		path = ingress.DefaultProbePath(r.Deployed)
	}
	res, err := ingress.Probe(ctx, r.Ingress, ingress.ProbeOptions{
		Path: path, Accept: r.cfg.ingress.Probe.Statuses, Timeout: r.timeout(rec),
		Progress: func(m string) { r.Logf("%s", m) },
	})
	if err != nil {
		return fmt.Errorf("readiness: %w", err)
	}
	r.Logf("ready: GET %s%s answered %d", r.Ingress.BaseURL(), path, res.Status)
	return r.readyStreams(ctx, rec)
}

// openIngress creates the run's ingress once; later stages reuse it.
func (r *Run) openIngress(ctx context.Context, rec *Record) error {
	if r.Ingress != nil {
		return nil
	}
	var err error
	switch r.cfg.ingress.Kind {
	case "traefik":
		r.Ingress, err = ingress.NewTraefik(ingress.TraefikOptions{Domain: r.App.Domain,
			ConnectTo: r.cfg.ingress.Traefik.ConnectTo, CAFile: r.cfg.ingress.Traefik.CAFile, Insecure: r.cfg.ingress.Traefik.Insecure,
			App: r.Deployed, EntrypointPorts: r.cfg.ingress.Traefik.EntrypointPorts, Also: r.dependencyDomains()})
	default:
		var res ingress.Resolver = r.Engine
		if r.container != "" {
			reach, err := r.join(ctx)
			if err != nil {
				return fmt.Errorf("ingress %s: %w", r.cfg.ingress.Kind, err)
			}
			res = reach
			if len(r.deps) > 0 {
				// Each stack's tasks through its own reach network.
				byStack := stackResolver{r.App.Stack: reach}
				for _, d := range r.deps {
					if d.run.reach != nil {
						byStack[d.run.App.Stack] = d.run.reach
					}
				}
				res = byStack
			}
		}
		// The dependencies' domains too: a browser sent to a provider's
		// login page and back follows both.
		r.Ingress, err = ingress.NewDirect(ctx, r.Deployed, res, r.cfg.output.Log, r.dependencyApps()...)
	}
	if err != nil {
		return fmt.Errorf("ingress %s: %w", r.cfg.ingress.Kind, err)
	}
	// What the ingress cannot do as Traefik would (a middleware of the file
	// provider, a router to api@internal) is said, never silently skipped.
	if notes := ingress.Notes(r.Ingress); len(notes) > 0 {
		for _, n := range notes {
			r.Logf("ingress: %s", n)
		}
		more := ""
		if len(notes) > 1 {
			more = fmt.Sprintf(" (and %d more in the log)", len(notes)-1)
		}
		rec.Note("ingress: %s%s", notes[0], more)
	}
	return nil
}
