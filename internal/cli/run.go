package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/publish"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

func newRunCmd() *cobra.Command {
	var o runner.Options
	var stages []string
	var ff forgeFlags
	var af abraFlags
	var recipes recipeList
	var syncMirror bool
	cmd := &cobra.Command{
		Use:   "run --recipe PATH|GIT-URL [--recipe ...]",
		Short: "Test a recipe on a swarm: install, lifecycle stages, teardown",
		Long: `Deploy a recipe at a ref onto the swarm the Docker environment points at
(DOCKER_HOST, else the local socket), under a fresh run-scoped domain
"<abbrev>-<6 hex>.<suffix>", run the chosen lifecycle stages, then tear
everything down and verify that nothing carrying the stack's namespace is
left. Teardown always runs: after a failure, a panic, a timeout or Ctrl-C
(a second Ctrl-C forces the exit).

Stages: install (deploy, converge, readiness), upgrade (deploy the previous
release, seed data, upgrade in place to the ref, check the data survived),
backup (seed data, back up what the backupbot labels name into
OUT/backup/<service>.tar) and restore (mutate, restore in place, then remove
everything and restore onto a fresh deployment, checking the original data
came back each time) and custom (the enrolled recipe's own Go tests, run
against the deployed app).

Writes OUT/results.json, OUT/junit.xml and OUT/report.md (the Markdown report). Progress goes to stderr.

Several recipes (--recipe repeated, or --recipes-file) run side by side,
each in OUT/<name> with its progress lines prefixed by <name>, and a
combined summary (OUT/summary.json) at the end; the exit code is the worst
of theirs. With --budget N every run, in this command or in any other job
on the swarm, waits until its weight (recipe.toml's [budget] weight, 1 by
default, plus its dependencies') fits the N slots of the swarm-wide run
budget.

Exit codes: 0 every stage passed and nothing was left behind; 1 a stage
failed or something was left behind; 2 usage or configuration error
(nothing was deployed).`,
		Example: `  recipe-test run --recipe example
  recipe-test run --recipe testdata/recipes/example
  recipe-test run --recipe example --recipe custom-html --budget 2 --out results
  recipe-test run --recipe https://git.coopcloud.tech/coop-cloud/custom-html.git --ref main \
    --ingress traefik --domain-suffix ci.example.org --out results`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Stages = stages
			if err := useDeployer(&o, af); err != nil {
				return usageError{err}
			}
			list, err := recipes.list()
			if err != nil {
				return usageError{err}
			}
			if len(list) > 1 {
				if ff.kind != "" && ff.kind != "none" {
					return usageError{fmt.Errorf("--forge reports one recipe's run: run several recipes without it, then publish each with recipe-test publish --from OUT/<name>/results.json")}
				}
				if syncMirror {
					return usageError{fmt.Errorf("--sync-mirror syncs one recipe's mirror: sync several with recipe-test mirror sync NAME... before the run")}
				}
				return runMany(cmd.Context(), o, list, cmd.ErrOrStderr(), ff.link(os.Getenv))
			}
			if len(list) == 1 {
				o.Source.Recipe = list[0]
			}
			o.Output.Progress = cmd.ErrOrStderr()
			o.Output.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			if syncMirror {
				fo, err := ff.clientOptions(os.Getenv)
				if err != nil {
					return usageError{fmt.Errorf("--sync-mirror needs the mirror's forge: %w", err)}
				}
				say := func(format string, args ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "recipe-test: "+format+"\n", args...) }
				warn := func(format string, args ...any) { say("warning: "+format, args...) }
				syncBeforeRun(cmd.Context(), o.Source, fo, say, warn)
			}
			res, _, perr, err := runAndPublish(cmd.Context(), o, ff, os.Getenv, cmd.ErrOrStderr(), publishHooks{})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "recipe-test: %s: %s, level L%d of %d; results in %s\n",
				res.Recipe, res.Status, res.Level, results.MaxLevel, filepath.Join(o.Output.Dir, "results.json"))
			if res.Status != results.Pass {
				return failedError{errors.Join(fmt.Errorf("%s failed", res.Recipe), perr)}
			}
			if perr != nil {
				return failedError{perr}
			}
			return nil
		},
	}
	f := cmd.Flags()
	registerRunFlags(f, &o, &stages, &ff)
	f.StringArrayVar(&recipes.names, "recipe", nil, "the recipe: an enrolled recipe's name, a local folder or a git URL (required; repeat it to run several side by side)")
	f.StringVar(&recipes.file, "recipes-file", "", "a file naming recipes to run side by side, one a line (# comments), after any --recipe")
	af.register(f)
	f.BoolVar(&syncMirror, "sync-mirror", false, "an enrolled recipe fetched from a mirror: sync the mirror with upstream first, on the forge of --forge, --forge-url and --token-env (a failed sync warns; the mirror is tested as it is)")
	return cmd
}

// publishHooks are what the action adds to a run's publishing.
type publishHooks struct {
	// beforePublish, when set, sees the finished run before its report
	// goes to the forge (the action enrolls an unenrolled recipe there).
	beforePublish func(context.Context, *results.Run)
	// warnf reports what could not be published while the run goes on;
	// nil = a progress line.
	warnf func(format string, args ...any)
}

// runAndPublish runs a recipe test and reports it to the forge ff names.
// err is a usage error (nothing deployed) or a run that could not
// complete; perr is a failure to publish the finished run's report.
//
// A forge that refuses the token the pending status (401, 403: a fork's
// pull request gets a read-only token) does not stop the run: it is
// tested all the same, its report written to the output folder, and the
// refusal reported through h.warnf. Any other failure of the pending
// status (a wrong repository) is a usage error: nothing is deployed.
func runAndPublish(ctx context.Context, o runner.Options, ff forgeFlags, getenv func(string) string, stderr io.Writer,
	h publishHooks) (res *results.Run, pub *publish.Publisher, perr, err error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "recipe-test: "+format+"\n", args...) }
	if h.warnf == nil {
		h.warnf = func(format string, args ...any) { logf("warning: "+format, args...) }
	}
	pub, token, err := ff.publisher(ctx, getenv, logf)
	if err != nil {
		return nil, nil, nil, usageError{err}
	}
	if o.Output.RunURL == "" {
		o.Output.RunURL = ff.link(getenv)
	}
	forgeFailed := false
	if pub != nil {
		o.Output.Redact = append(o.Output.Redact, token)
		pub.Redact = publishMasker(&o)
		pub.Dir, pub.Warnf = o.Output.Dir, h.warnf // the screenshot's folder; a base or screenshot that fails only warns
		o.Hooks.OnPlanned = func(ctx context.Context, res *results.Run) error {
			err := pub.Start(ctx, res.Recipe)
			if forge.IsDenied(err) {
				h.warnf("not reporting the status to the forge, testing all the same (the report is in %s): %s", o.Output.Dir, excerpt.FirstLine(err.Error()))
				return nil
			}
			forgeFailed = err != nil
			return err
		}
	}
	res, err = runner.Execute(ctx, o)
	if h.beforePublish != nil && res != nil {
		h.beforePublish(ctx, res)
	}
	if pub != nil && res != nil && !forgeFailed {
		// Publish even after a cancellation: bounded, detached.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		perr = pub.Finish(pctx, res)
		cancel()
	}
	var pe *runner.PlanError
	if errors.As(err, &pe) {
		return res, pub, perr, usageError{errors.Join(err, perr)}
	}
	if err != nil {
		return res, pub, perr, errors.Join(err, perr)
	}
	return res, pub, perr, nil
}

// registerRunFlags declares run's flags.
func registerRunFlags(f *pflag.FlagSet, o *runner.Options, stages *[]string, ff *forgeFlags) {
	f.StringVar(&o.Source.Ref, "ref", "", "git branch, tag or commit to test (default: the folder as it is, or the default branch of a URL)")
	f.StringSliceVar(stages, "stages", nil, "comma-separated stages to run: install, upgrade, backup, restore, custom (default: recipe.toml's, else all; restore implies backup); teardown always runs")
	f.StringVar(&o.Source.Enrollment, "enrollment", "", "folder holding the recipe's recipe.toml (default: RECIPES-DIR/<name> when it exists)")
	f.StringVar(&o.Source.RecipesDir, "recipes-dir", "", "folder of enrolled recipes, recipes/<name>/recipe.toml (default $RECIPE_TEST_RECIPES, else ./recipes)")
	f.StringVar(&o.Source.UpgradeFrom, "upgrade-from", "", "release tag the upgrade starts from (default: recipe.toml's upgrade.base, else the newest release older than the ref)")
	f.StringVar(&o.Deploy.Deployer, "deployer", "auto", "how to deploy: swarm (the Docker Engine API), abra (the abra CLI: needs --abra-server), or auto (abra when configured, else swarm)")
	f.StringVar(&o.Ingress.Kind, "ingress", "direct", "how to reach the app: traefik (HTTPS on its domain) or direct (straight to the task the traefik labels name; no proxy or DNS needed)")
	f.StringVar(&o.Ingress.DomainSuffix, "domain-suffix", "", "suffix of the run domain (default recipe-test.test)")
	f.StringVar(&o.Output.Dir, "out", runner.DefaultOut, "folder for results.json, junit.xml, report.md and backup archives")
	f.DurationVar(&o.Deploy.Timeout, "timeout", runner.DefaultTimeout, "convergence and readiness timeout when the recipe has no coop-cloud.<stack>.timeout label")
	f.BoolVar(&o.Deploy.Retain, "retain", false, "keep a failed deployment for debugging (prints the command that removes it)")
	f.StringArrayVar(&o.Deploy.Env, "env", nil, "env assignment applied on top of .env.sample, in env-file syntax (repeatable)")
	f.StringVar(&o.Ingress.Probe.Path, "probe-path", "", "readiness probe path (default: the path the app's traefik router serves, usually /)")
	f.IntSliceVar(&o.Ingress.Probe.Statuses, "probe-status", nil, "HTTP statuses that count as ready (default 200,301,302)")
	f.StringVar(&o.Ingress.Traefik.ConnectTo, "connect-to", "", "traefik ingress: connect to HOST:PORT instead of resolving the domain (like curl --connect-to)")
	f.StringVar(&o.Ingress.Traefik.CAFile, "ca-file", "", "traefik ingress: PEM file of an extra CA to trust (staging certificates)")
	f.BoolVar(&o.Ingress.Traefik.Insecure, "insecure", false, "traefik ingress: do not verify TLS certificates")
	f.StringToIntVar(&o.Ingress.Traefik.EntrypointPorts, "entrypoint-port", nil, "traefik ingress: NAME=PORT, the port of a Traefik entrypoint the recipe's TCP or UDP routers use (repeatable)")
	f.StringVar(&o.Janitor.LockDir, "lock-dir", "", "folder for run locks (default $RECIPE_TEST_LOCK_DIR, /run/recipe-test/locks or the temp folder)")
	f.DurationVar(&o.Janitor.Grace, "janitor-grace", runner.DefaultJanitorGrace, "the janitor at start only reaps orphaned run stacks older than this")
	f.BoolVar(&o.Janitor.Off, "no-janitor", false, "do not reap orphaned run stacks at start")
	f.IntVar(&o.Janitor.Budget, "budget", 0, "the swarm-wide run budget in slots: the run waits until its weight (recipe.toml's [budget] weight, 1 by default, plus its dependencies') fits beside every other run on the swarm with a budget; 0 = no budget")
	f.DurationVar(&o.Janitor.LeaseTTL, "lease-ttl", lease.DefaultTTL, "the run's lease on the swarm lasts this long unrenewed: a janitor reaps a dead run's stack once it expired")
	registerNodeFlag(f, &o.Nodes)
	f.StringVar(&o.Ingress.Container, "container", "auto", "direct ingress: the container to join to the run's network to reach the app (auto: the one recipe-test runs in, if any; none: reach tasks as a host does)")
	registerLimitFlags(f, &o.Limits)
	ff.register(f)
}
