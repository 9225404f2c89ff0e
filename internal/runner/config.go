package runner

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/lifecycle"
	"github.com/cc-ci/recipe-test/v2/internal/multinode"
	"github.com/cc-ci/recipe-test/v2/internal/runlock"
)

// config is a run's Options resolved: validated, every default applied
// once, then completed by the recipe's enrollment (applyEnrollment: the
// stages, the probe). The stages read it, never Options: what the caller
// asked for and what the run does are two values, and the first is never
// rewritten (kind's layering: flags, public options, internal options).
type config struct {
	source Source // RecipesDir set
	stages []string
	// stagesGiven says the caller named the stages: the enrollment's
	// stages apply only when not.
	stagesGiven bool
	deploy      Deploy // Deployer, Timeout and Connect set
	nodes       []multinode.Endpoint
	ingress     Ingress // Kind and Container set
	limits      Limits  // every limit set
	janitor     Janitor // LockDir, Grace and LeaseTTL set
	hooks       Hooks
	output      Output // Dir, Progress and Log set; WorkDir once Execute made one
}

// resolve validates o and applies its defaults. Its errors are usage
// errors: nothing has been touched yet.
func resolve(o Options) (config, error) {
	c := config{source: o.Source, deploy: o.Deploy, ingress: o.Ingress, janitor: o.Janitor, hooks: o.Hooks, output: o.Output}
	if o.Source.Recipe == "" {
		return config{}, fmt.Errorf("--recipe is required")
	}
	var err error
	if c.stages, c.stagesGiven, err = selectStages(o.Stages); err != nil {
		return config{}, err
	}
	if c.source.RecipesDir == "" {
		c.source.RecipesDir = enrollment.DefaultRecipesDir()
	}
	if c.nodes, err = ParseNodes(o.Nodes); err != nil {
		return config{}, err
	}
	// An ssh:// node needs an ssh binary here (the action image has one):
	// refused now, naming the node, not at the first exec on it.
	if err := multinode.Check(c.nodes); err != nil {
		return config{}, err
	}
	if err := c.resolveDeploy(); err != nil {
		return config{}, err
	}
	if err := c.resolveIngress(); err != nil {
		return config{}, err
	}
	if o.Janitor.Budget < 0 {
		return config{}, fmt.Errorf("budget %d: want a number of slots, or 0 for no budget", o.Janitor.Budget)
	}
	c.limits = o.Limits.withDefaults(c.deploy.Timeout)
	c.resolveRest()
	return c, nil
}

// selectStages returns the named stages in lifecycle order (what they
// bring included), or every stage when none are named.
func selectStages(named []string) (stages []string, given bool, err error) {
	given = len(named) > 0
	if !given {
		named = DefaultStages()
	}
	if stages, err = lifecycle.Select(named); err != nil {
		return nil, false, err
	}
	if len(stages) == 0 {
		return nil, false, fmt.Errorf("nothing to test: the stages named (%s) hold no stage but teardown, which always runs; name at least one of %s", strings.Join(named, ","), strings.Join(lifecycle.Names(), ", "))
	}
	return stages, given, nil
}

func (c *config) resolveDeploy() error {
	switch c.deploy.Deployer {
	case "", "auto", "swarm":
		// The caller resolves auto (internal/abra's Choose): here it was
		// not, so abra is not configured and swarm it is.
		c.deploy.Deployer = "swarm"
	case "abra":
		if c.deploy.Connect == nil {
			return fmt.Errorf("deployer abra: no abra engine was configured (an abra binary and a server context)")
		}
	default:
		return fmt.Errorf("unknown deployer %q: use auto, swarm or abra", c.deploy.Deployer)
	}
	if c.deploy.Timeout <= 0 {
		c.deploy.Timeout = DefaultTimeout
	}
	if c.deploy.Connect == nil {
		c.deploy.Connect = ConnectSwarmNodes(c.nodes)
	}
	return nil
}

func (c *config) resolveIngress() error {
	switch c.ingress.Kind {
	case "":
		c.ingress.Kind = "direct"
	case "direct", "traefik":
	default:
		return fmt.Errorf("unknown ingress %q: use direct or traefik", c.ingress.Kind)
	}
	for name, port := range c.ingress.Traefik.EntrypointPorts {
		if strings.TrimSpace(name) == "" || port < 1 || port > 65535 {
			return fmt.Errorf("entrypoint port %s=%d: want NAME=PORT with a port from 1 to 65535", name, port)
		}
	}
	if c.ingress.Container == "" {
		c.ingress.Container = "auto"
	}
	return nil
}

func (c *config) resolveRest() {
	if c.janitor.LockDir == "" {
		c.janitor.LockDir = runlock.DefaultDir()
	}
	if c.janitor.Grace == 0 {
		c.janitor.Grace = DefaultJanitorGrace
	}
	if c.janitor.LeaseTTL <= 0 {
		c.janitor.LeaseTTL = lease.DefaultTTL
	}
	if c.output.Dir == "" {
		c.output.Dir = DefaultOut
	}
	if c.output.Progress == nil {
		c.output.Progress = io.Discard
	}
	if c.output.Log == nil {
		c.output.Log = slog.New(slog.DiscardHandler)
	}
}

// has reports whether stage is selected.
func (c *config) has(stage string) bool { return slices.Contains(c.stages, stage) }

// ParseNodes reads the node endpoints with their ssh options
// (multinode.Parse, multinode.WithSSH): what every command that reaches a
// swarm's nodes is given.
func ParseNodes(n Nodes) ([]multinode.Endpoint, error) {
	eps, err := multinode.Parse(n.Endpoints)
	if err != nil {
		return nil, err
	}
	return multinode.WithSSH(eps, n.SSH)
}
