// Package runner plans a recipe-test run and executes its lifecycle stages
// on a swarm, in order, with teardown always last: after a failure, a
// panic, a timeout or a cancellation. It fills the one results model that
// every report is rendered from.
package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/backup"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/lifecycle"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Options configure a run. Zero values get the documented defaults.
type Options struct {
	Recipe       string        // folder or git URL
	Ref          string        // branch, tag or commit; "" = as found
	Stages       []string      // stages to run, in any order; "" = DefaultStages()
	Deployer     string        // auto | swarm | abra (abra: Connect and Linter run abra; the caller resolves auto)
	Ingress      string        // direct | traefik
	DomainSuffix string        // the run domain is <abbrev>-<6 hex>.<suffix>
	Out          string        // folder for results.json and junit.xml
	Timeout      time.Duration // convergence and readiness, when the recipe sets no timeout label
	Retain       bool          // keep a failed deployment for debugging
	Env          []string      // env-file assignments applied on top of .env.sample

	// Enrollment is a folder holding the recipe's recipe.toml (data hooks,
	// upgrade base, not-applicable rungs, tests); "" = RecipesDir/<name>
	// when there is one.
	Enrollment string
	// RecipesDir holds the enrolled recipes, recipes/<name>/recipe.toml;
	// "" = enrollment.DefaultRecipesDir(). Recipe may then be just a name.
	RecipesDir string
	// NoGrantsFrom are folders an enrollment's policy grants are refused
	// from (besides the recipe's own): the workspace of a pull request
	// run, which the pull request controls.
	NoGrantsFrom []string
	// UpgradeFrom is the release tag to upgrade from; "" = the enrollment's,
	// else the newest release older than the ref under test.
	UpgradeFrom string

	// Readiness probe; empty = the primary router's path, statuses 200/301/302.
	ProbePath     string
	ProbeStatuses []int

	// Container is how the direct ingress reaches the app's tasks: "auto"
	// ("" too) joins the container recipe-test runs in, when it runs in one
	// of the swarm engine's containers (an Actions runner's job network
	// cannot reach task addresses), to the run's reach network; "none"
	// reaches tasks at their docker_gwbridge address, as a host does; any
	// other value names the container to join.
	Container string

	// Traefik ingress settings.
	ConnectTo string
	CAFile    string
	Insecure  bool
	// EntrypointPorts are the ports of Traefik's entrypoints by name (its
	// static configuration, which no recipe shows), for reaching TCP and
	// UDP routers through the traefik ingress.
	EntrypointPorts map[string]int

	Limits // bounds on what the recipe can make the run do

	LockDir      string        // run locks; "" = runlock.DefaultDir()
	JanitorGrace time.Duration // orphans younger than this are left alone (unless their run's lease expired)
	LeaseTTL     time.Duration // how long the run's lease lasts unrenewed; 0 = lease.DefaultTTL
	NoJanitor    bool          // do not reap orphans at start

	// OnPlanned, when set, runs once the plan is made and before anything
	// is deployed (it sets the pending commit status); its error stops the
	// run as bad input.
	OnPlanned func(ctx context.Context, res *results.Run) error
	// OnStage, when set, is called as each stage starts (res nil) and ends.
	OnStage func(name string, res *results.Stage)
	// OnSecret, when set, receives every generated secret value before
	// anything could print it (to mask it in a CI log).
	OnSecret func(value string)
	// RunURL links the results to the CI run that made them.
	RunURL string
	// Redact lists further values (tokens) to mask in every output.
	Redact []string

	// Connect opens the engine the run deploys on; nil = ConnectSwarm.
	Connect Connector
	// Linter checks the recipe in the lint stage; nil = internal/lint's
	// rules (the abra deployer runs `abra recipe lint` instead).
	Linter Linter

	Progress io.Writer // human progress lines (stderr); nil = discard
	Log      *slog.Logger
	WorkDir  string // where git URLs are cloned; "" = a temporary folder

	stagesGiven bool // Stages came from the caller, not the default
}

// Stage names, as the lifecycle declares them (internal/lifecycle).
// Teardown is not selectable: it always runs.
const (
	StageLint     = lifecycle.Lint
	StageInstall  = lifecycle.Install
	StageUpgrade  = lifecycle.Upgrade
	StageBackup   = lifecycle.Backup
	StageRestore  = lifecycle.Restore
	StageCustom   = lifecycle.Custom
	StageTeardown = lifecycle.Teardown
)

// DefaultStages returns the stages run when none are named: all of them.
func DefaultStages() []string { return lifecycle.Names() }

// SelectableStages returns the stages a run can be asked for, in the order
// they run (teardown always runs and is not among them).
func SelectableStages() []string { return lifecycle.Names() }

// Defaults used for zero options.
const (
	DefaultTimeout      = 5 * time.Minute
	DefaultJanitorGrace = 3 * time.Hour
	DefaultOut          = "recipe-test-results"
)

// Limits bound the work a recipe can make a run do, so that a recipe or a
// pull request built to hang or to flood cannot hold the runner. Zero
// fields get the defaults below.
type Limits struct {
	// Deadline bounds the run from its start to the end of its last stage;
	// teardown then gets its own bounded time (teardownTimeout).
	Deadline time.Duration
	// MaxTimeout caps the convergence and readiness timeout the recipe
	// asks for (its coop-cloud.<stack>.timeout label, recipe.toml's
	// timeouts.deploy); below Timeout it is raised to Timeout.
	MaxTimeout time.Duration
	// CloneTimeout bounds fetching the recipe: the clone and its fetches.
	CloneTimeout time.Duration
	// HookTimeout bounds each command run in the app's containers for a
	// backup or a data check (backupbot hooks, seed/mutate/verify hooks,
	// markers).
	HookTimeout time.Duration
	// ExecTimeout bounds each Exec, ExecShell and ReadFile of the recipe's
	// own tests.
	ExecTimeout time.Duration
	// MaxArchive bounds one service's backup archive, in bytes.
	MaxArchive int64
	// MaxOutput bounds the output kept of each stage, in bytes (its tail).
	MaxOutput int
	// MaxReadFile bounds a file the recipe's tests read from a container
	// (ReadFile), in bytes.
	MaxReadFile int64
}

// Default limits.
const (
	DefaultDeadline     = 60 * time.Minute
	DefaultMaxTimeout   = 30 * time.Minute
	DefaultCloneTimeout = 5 * time.Minute
	DefaultHookTimeout  = backup.DefaultHookTimeout
	DefaultExecTimeout  = 5 * time.Minute
	DefaultMaxArchive   = backup.DefaultMaxArchive
	DefaultMaxOutput    = 64 << 10
	DefaultMaxReadFile  = 64 << 20
)

func (l *Limits) normalize(timeout time.Duration) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.Deadline, DefaultDeadline)
	def(&l.MaxTimeout, DefaultMaxTimeout)
	def(&l.CloneTimeout, DefaultCloneTimeout)
	def(&l.HookTimeout, DefaultHookTimeout)
	def(&l.ExecTimeout, DefaultExecTimeout)
	l.MaxTimeout = max(l.MaxTimeout, timeout)
	if l.MaxArchive <= 0 {
		l.MaxArchive = DefaultMaxArchive
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = DefaultMaxOutput
	}
	if l.MaxReadFile <= 0 {
		l.MaxReadFile = DefaultMaxReadFile
	}
}

// normalize validates options and fills defaults. Its errors are usage
// errors: nothing has been touched yet.
func (o *Options) normalize() error {
	if o.Recipe == "" {
		return fmt.Errorf("--recipe is required")
	}
	o.stagesGiven = len(o.Stages) > 0
	if len(o.Stages) == 0 {
		o.Stages = DefaultStages()
	}
	stages, err := lifecycle.Select(o.Stages)
	if err != nil {
		return err
	}
	if len(stages) == 0 {
		return fmt.Errorf("nothing to test: the stages named (%s) hold no stage but teardown, which always runs; name at least one of %s", strings.Join(o.Stages, ","), strings.Join(lifecycle.Names(), ", "))
	}
	o.Stages = stages
	if o.RecipesDir == "" {
		o.RecipesDir = enrollment.DefaultRecipesDir()
	}
	return o.normalizeRest()
}

func (o *Options) normalizeRest() error {
	switch o.Deployer {
	case "", "auto", "swarm":
		// The caller resolves auto (internal/abra's Choose): here it was
		// not, so abra is not configured and swarm it is.
		o.Deployer = "swarm"
	case "abra":
		if o.Connect == nil {
			return fmt.Errorf("deployer abra: no abra engine was configured (an abra binary and a server context)")
		}
	default:
		return fmt.Errorf("unknown deployer %q: use auto, swarm or abra", o.Deployer)
	}
	switch o.Ingress {
	case "":
		o.Ingress = "direct"
	case "direct", "traefik":
	default:
		return fmt.Errorf("unknown ingress %q: use direct or traefik", o.Ingress)
	}
	for name, port := range o.EntrypointPorts {
		if strings.TrimSpace(name) == "" || port < 1 || port > 65535 {
			return fmt.Errorf("entrypoint port %s=%d: want NAME=PORT with a port from 1 to 65535", name, port)
		}
	}
	if o.Container == "" {
		o.Container = "auto"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	o.Limits.normalize(o.Timeout)
	if o.JanitorGrace == 0 {
		o.JanitorGrace = DefaultJanitorGrace
	}
	if o.Out == "" {
		o.Out = DefaultOut
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// has reports whether stage is selected.
func (o *Options) has(stage string) bool { return slices.Contains(o.Stages, stage) }
