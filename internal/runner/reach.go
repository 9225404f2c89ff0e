package runner

import (
	"context"
	"fmt"

	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// findContainer decides how the direct ingress reaches the app: from the
// container recipe-test runs in, joined to the run's reach network, or as
// a host does.
func (r *Run) findContainer(ctx context.Context) error {
	if r.cfg.ingress.Kind != "direct" {
		return nil
	}
	switch r.cfg.ingress.Container {
	case "none":
		return nil
	case "auto":
		id, err := r.Engine.NetworkContainer(ctx)
		if err != nil {
			return fmt.Errorf("container: %w", err)
		}
		r.container = id
	default:
		r.container = r.cfg.ingress.Container
	}
	if r.container != "" {
		r.Logf("plan: running in container %.12s: it joins the run's network %s to reach the app", r.container, swarm.ReachNetwork(r.App.Stack))
	}
	return nil
}

// join connects recipe-test's container to the deployed stack's reach
// network, once per deployment.
func (r *Run) join(ctx context.Context) (*swarm.Reach, error) {
	if r.reach != nil {
		return r.reach, nil
	}
	reach, err := r.Engine.Join(ctx, r.container, r.App.Stack)
	if err != nil {
		return nil, err
	}
	r.reach = reach
	r.Logf("joined network %s", reach.Network())
	return reach, nil
}

// removeStack removes the deployed stack. The ingress goes first (the next
// deployment may have other routes), and recipe-test's container leaves
// the reach network, which cannot be removed while it is attached.
func (r *Run) removeStack(ctx context.Context) error {
	if r.Ingress != nil {
		r.Ingress.Close()
		r.Ingress = nil
	}
	if r.reach != nil {
		if err := r.reach.Leave(ctx); err != nil {
			r.Logf("warning: %v", err)
		}
		r.reach = nil
	}
	return r.Engine.Remove(ctx, r.App.Stack, func(m string) { r.Logf("%s", m) })
}
