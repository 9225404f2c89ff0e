package abra

import (
	"context"
	"fmt"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Restart restarts services of an app this deployer created as an operator
// does after `abra app restore`: `abra app restart <domain> <service>`, one
// service at a time (abra scales the service to 0 and back up, waiting for
// each). Convergence is then checked by Converge, as after a deploy. An app
// this deployer did not create is restarted through the swarm client.
func (d *Deployer) Restart(ctx context.Context, app *recipe.App, services []string, progress func(string)) error {
	a := d.app(app.Stack)
	if a == nil {
		return d.Client.Restart(ctx, app, services, progress)
	}
	progress = progressOr(progress, d.log)
	for _, name := range services {
		if _, ok := app.Service(name); !ok {
			return fmt.Errorf("restart: stack %s has no service %s", app.Stack, name)
		}
		if _, err := d.r.run(ctx, progress, []string{"app", "restart", a.domain, name}); err != nil {
			return fmt.Errorf("restart %s with abra: %w", app.Stack, err)
		}
	}
	return nil
}
