// Package runner plans a recipe-test run and executes its lifecycle stages
// on a swarm, in order, with teardown always last: after a failure, a
// panic, a timeout or a cancellation. It fills the one results model that
// every report is rendered from.
package runner

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/lifecycle"
	"github.com/cc-ci/recipe-test/v2/internal/multinode"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Options configure a run, grouped by concern. Zero values get the
// documented defaults. Execute never changes them: it resolves them once
// into a config of its own (config.go), which the stages read.
//
// The layers are kind's: the command's flags or the action's inputs fill
// Options (internal/cli), resolve validates them and applies the defaults,
// and the stages see only the result.
type Options struct {
	Source Source
	// Stages to run, in any order; nil = the enrollment's, else
	// DefaultStages(). Teardown is not selectable: it always runs.
	Stages  []string
	Deploy  Deploy
	Nodes   Nodes
	Ingress Ingress
	Limits  Limits // bounds on what the recipe can make the run do
	Janitor Janitor
	Hooks   Hooks
	Output  Output
}

// Source is what is tested: the recipe, at which ref, with which
// enrollment.
type Source struct {
	Recipe string // an enrolled recipe's name, a folder or a git URL
	Ref    string // branch, tag or commit; "" = as found

	// Enrollment is a folder holding the recipe's recipe.toml (data hooks,
	// upgrade base, not-applicable rungs, tests); "" = RecipesDir/<name>
	// when there is one.
	Enrollment string
	// RecipesDir holds the enrolled recipes, recipes/<name>/recipe.toml;
	// "" = enrollment.DefaultRecipesDir(). Recipe may then be just a name.
	RecipesDir string
	// UpgradeFrom is the release tag to upgrade from; "" = the enrollment's,
	// else the newest release older than the ref under test.
	UpgradeFrom string
	// NoGrantsFrom are folders an enrollment's policy grants are refused
	// from (besides the recipe's own): the workspace of a pull request
	// run, which the pull request controls.
	NoGrantsFrom []string
}

// Deploy is how the app is deployed and kept.
type Deploy struct {
	Deployer string        // auto | swarm | abra; "" = auto (abra: Connect and Linter run abra; the caller resolves auto)
	Timeout  time.Duration // convergence and readiness, when the recipe sets no timeout label
	Retain   bool          // keep a failed deployment for debugging
	Env      []string      // env-file assignments applied on top of .env.sample

	// Connect opens the engine the run deploys on; nil = ConnectSwarm.
	Connect Connector
	// Linter checks the recipe in the lint stage; nil = internal/lint's
	// rules (the abra deployer runs `abra recipe lint` instead).
	Linter Linter
}

// Nodes are how the run reaches the swarm's nodes besides the manager it
// deploys through: a task's exec and archives (backups, hooks) and the
// residue inventory go to the engine of the node that holds the task or
// the volume (internal/multinode).
type Nodes struct {
	// Endpoints are NAME=ENDPOINT: a node's hostname (or ID) and a Docker
	// host URL (unix://, tcp://, ssh://) or Docker context name reaching
	// its engine. A node of the swarm none names fails the run's inventory.
	Endpoints []string
	// SSH is the key and known_hosts file ssh uses for the ssh://
	// endpoints instead of the user's ~/.ssh (empty: ssh's defaults).
	SSH multinode.SSH
}

// Ingress is how the deployed app is reached.
type Ingress struct {
	Kind         string // direct | traefik; "" = direct
	DomainSuffix string // the run domain is <abbrev>-<6 hex>.<suffix>

	// Probe is the readiness probe; empty = the enrollment's, else the
	// primary router's path and statuses 200/301/302.
	Probe Probe

	// Container is how the direct ingress reaches the app's tasks: "auto"
	// ("" too) joins the container recipe-test runs in, when it runs in one
	// of the swarm engine's containers (an Actions runner's job network
	// cannot reach task addresses), to the run's reach network; "none"
	// reaches tasks at their docker_gwbridge address, as a host does; any
	// other value names the container to join.
	Container string

	Traefik Traefik // used by the traefik ingress only
}

// Probe is the HTTP readiness probe.
type Probe struct {
	Path     string
	Statuses []int
}

// Traefik are the traefik ingress's settings.
type Traefik struct {
	ConnectTo string // dial HOST:PORT instead of resolving the domain
	CAFile    string // PEM file of an extra CA to trust
	Insecure  bool   // do not verify TLS certificates
	// EntrypointPorts are the ports of Traefik's entrypoints by name (its
	// static configuration, which no recipe shows), for reaching TCP and
	// UDP routers through the traefik ingress.
	EntrypointPorts map[string]int
}

// Janitor is how the run shares the swarm with other runs: its lock, its
// lease and the reaping of dead runs' stacks at start.
type Janitor struct {
	LockDir  string        // run locks; "" = runlock.DefaultDir()
	Grace    time.Duration // orphans younger than this are left alone (unless their run's lease expired); 0 = DefaultJanitorGrace
	LeaseTTL time.Duration // how long the run's lease lasts unrenewed; 0 = lease.DefaultTTL
	Off      bool          // do not reap orphans at start
	// Budget is the swarm-wide run budget's capacity in slots (see
	// internal/budget): the run waits until its weight fits; 0 = no budget.
	Budget int
}

// Hooks are the caller's calls into a run.
type Hooks struct {
	// OnPlanned, when set, runs once the plan is made and before anything
	// is deployed (it sets the pending commit status); its error stops the
	// run as bad input.
	OnPlanned func(ctx context.Context, res *results.Run) error
	// OnStage, when set, is called as each stage starts (res nil) and ends.
	OnStage func(name string, res *results.Stage)
	// OnSecret, when set, receives every generated secret value before
	// anything could print it (to mask it in a CI log).
	OnSecret func(value string)
}

// Output is where the run writes and what it shows.
type Output struct {
	Dir    string   // folder for results.json, junit.xml, report.md; "" = DefaultOut
	RunURL string   // links the results to the CI run that made them
	Redact []string // further values (tokens) to mask in every output

	Progress io.Writer // human progress lines (stderr); nil = discard
	Log      *slog.Logger
	WorkDir  string // where git URLs are cloned; "" = a temporary folder
}

// Defaults used for zero options.
const (
	DefaultTimeout      = 5 * time.Minute
	DefaultJanitorGrace = 3 * time.Hour
	DefaultOut          = "recipe-test-results"
)

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
