package swarm

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Restart restarts services of app (their compose names) as `docker
// service update --force` does: the service's ForceUpdate counter goes up,
// which changes nothing in its spec but makes swarm replace every task
// with a fresh one, by the service's own update policy. It does not wait:
// Converge does (its up-to-date tasks are then only the fresh ones).
//
// An operator restarts an app after a restore so that it reads the
// restored data afresh: a running app may keep files it opened (a SQLite
// database that the restore replaced) or data it loaded at start.
func (c *Client) Restart(ctx context.Context, app *recipe.App, services []string, progress func(string)) error {
	if progress == nil {
		progress = func(string) {}
	}
	for _, name := range services {
		svc, ok := app.Service(name)
		if !ok {
			return fmt.Errorf("restart: stack %s has no service %s", app.Stack, name)
		}
		cur, err := c.API.ServiceInspect(ctx, svc.FullName, client.ServiceInspectOptions{})
		if err != nil {
			return fmt.Errorf("restart service %s: %w", svc.FullName, err)
		}
		spec := cur.Service.Spec
		spec.TaskTemplate.ForceUpdate++
		// No registry is asked: the service keeps the image it runs.
		res, err := c.API.ServiceUpdate(ctx, cur.Service.ID, client.ServiceUpdateOptions{Version: cur.Service.Version, Spec: spec})
		if err != nil {
			return fmt.Errorf("restart service %s: %w", svc.FullName, err)
		}
		for _, w := range res.Warnings {
			c.Log.Warn("daemon warning", "service", svc.FullName, "warning", w)
		}
		progress(fmt.Sprintf("service %s: forced update %d (its tasks are replaced)", svc.FullName, spec.TaskTemplate.ForceUpdate))
	}
	return nil
}
