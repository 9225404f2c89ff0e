package swarm

import (
	"context"
	"fmt"
	"maps"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/cli/cli/compose/convert"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// DeployOptions tunes one deploy.
type DeployOptions struct {
	// RunID goes into LabelRun on everything the deploy creates.
	RunID string
	// Secrets holds values to reuse, keyed by secret full name, so that a
	// redeploy or an upgrade keeps the same secrets; missing ones are
	// generated.
	Secrets map[string]string
	// Progress, when set, receives one line per step. Secret values never
	// appear in it.
	Progress func(msg string)
	// Reach adds the run's reach network (ReachNetwork) to every routed
	// service, for a recipe-test that runs in a container to join.
	Reach bool
}

// Deployment is what a deploy created or updated.
type Deployment struct {
	Stack string
	// Secrets maps each external secret's full name to its value, for tests
	// that need it. Never log it. A secret that already existed and whose
	// value was not passed in DeployOptions.Secrets is missing here.
	Secrets map[string]string
	// Services holds the full service names, sorted.
	Services []string
}

// Deploy deploys app as `docker stack deploy` would, with abra's handling of
// external secrets: networks, then secrets, configs and services. Deploying
// an app whose stack already runs updates it in place.
func (c *Client) Deploy(ctx context.Context, app *recipe.App, opts DeployOptions) (*Deployment, error) {
	if app.Compose == nil {
		return nil, fmt.Errorf("deploy %s: the app has no compose model", app.Stack)
	}
	d := &deployer{c: c, app: app, opts: opts, ns: convert.NewNamespace(app.Stack)}
	if d.opts.Progress == nil {
		d.opts.Progress = func(string) {}
	}
	out := &Deployment{Stack: app.Stack, Secrets: map[string]string{}}
	if err := d.networks(ctx); err != nil {
		return nil, err
	}
	if d.opts.Reach {
		if err := d.reachNetwork(ctx); err != nil {
			return nil, err
		}
	}
	if err := d.externalSecrets(ctx, out.Secrets); err != nil {
		return nil, err
	}
	if err := d.fileObjects(ctx); err != nil {
		return nil, err
	}
	names, err := d.services(ctx)
	if err != nil {
		return nil, err
	}
	out.Services = names
	return out, nil
}

// deployer carries one deploy's inputs through its steps.
type deployer struct {
	c    *Client
	app  *recipe.App
	opts DeployOptions
	ns   convert.Namespace
}

func (d *deployer) progress(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	d.c.Log.Debug(msg, "stack", d.app.Stack)
	d.opts.Progress(msg)
}

// labels returns a copy of l with LabelRun added. The converter hands out
// the compose model's own label maps (and adds the stack label to them), so
// we never write into them.
func (d *deployer) labels(l map[string]string) map[string]string {
	out := maps.Clone(l)
	if out == nil {
		out = map[string]string{}
	}
	out[LabelRun] = d.opts.RunID
	return out
}

// services converts the compose services and creates or updates each.
func (d *deployer) services(ctx context.Context) ([]string, error) {
	// convert.Services looks secrets and configs up through the API (they
	// exist by now); *client.Client is the client.APIClient it asks for.
	specs, err := convert.Services(ctx, d.ns, d.app.Compose, d.c.API)
	if err != nil {
		return nil, fmt.Errorf("convert services of stack %s: %w", d.app.Stack, err)
	}
	var names []string
	for _, short := range slices.Sorted(maps.Keys(specs)) {
		spec := specs[short]
		d.prepare(ctx, &spec)
		d.attachReach(&spec)
		if err := d.upsertService(ctx, spec); err != nil {
			return nil, err
		}
		names = append(names, spec.Name)
	}
	return names, nil
}

// prepare adds our run label to the service, its containers and the volumes
// it creates, and pins a locally present image by ID.
func (d *deployer) prepare(ctx context.Context, spec *swarm.ServiceSpec) {
	spec.Labels = d.labels(spec.Labels)
	cs := spec.TaskTemplate.ContainerSpec
	if cs == nil {
		return
	}
	cs.Labels = d.labels(cs.Labels)
	for i := range cs.Mounts {
		if vo := cs.Mounts[i].VolumeOptions; vo != nil && vo.Labels != nil {
			vo.Labels = d.labels(vo.Labels)
		}
	}
	cs.Image = d.pinImage(ctx, cs.Image)
}

// pinImage returns the reference a service should run for image. With a
// tag the daemon asks a registry first; with the image ID, or a digest it
// has, it uses the local image at once. A locally built image gets its ID;
// one pulled from a registry gets its repository digest, which other nodes
// of a larger swarm can pull too (they could not pull an ID). An image that
// is not here keeps its reference: the daemon tries to pull it and
// convergence reports it when that fails.
func (d *deployer) pinImage(ctx context.Context, image string) string {
	img, err := d.c.API.ImageInspect(ctx, image)
	if err != nil {
		if !cerrdefs.IsNotFound(err) {
			d.c.Log.Warn("image inspect failed: keeping the reference", "image", image, "err", err)
		}
		return image
	}
	if named, err := reference.ParseNormalizedNamed(image); err == nil {
		for _, rd := range img.RepoDigests {
			if dn, err := reference.ParseNormalizedNamed(rd); err == nil && dn.Name() == named.Name() {
				return rd
			}
		}
	}
	return img.ID
}

func (d *deployer) upsertService(ctx context.Context, spec swarm.ServiceSpec) error {
	cur, err := d.c.API.ServiceInspect(ctx, spec.Name, client.ServiceInspectOptions{})
	switch {
	case cerrdefs.IsNotFound(err):
		res, err := d.c.API.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec})
		if err != nil {
			return fmt.Errorf("create service %s: %w", spec.Name, err)
		}
		d.warn(spec.Name, res.Warnings)
		d.progress("service %s created", spec.Name)
		return nil
	case err != nil:
		return fmt.Errorf("inspect service %s: %w", spec.Name, err)
	}
	svc := cur.Service
	// As docker stack deploy: keep ForceUpdate, so that an unchanged
	// service keeps its tasks.
	spec.TaskTemplate.ForceUpdate = svc.Spec.TaskTemplate.ForceUpdate
	res, err := d.c.API.ServiceUpdate(ctx, svc.ID, client.ServiceUpdateOptions{Version: svc.Version, Spec: spec})
	if err != nil {
		return fmt.Errorf("update service %s: %w", spec.Name, err)
	}
	d.warn(spec.Name, res.Warnings)
	d.progress("service %s updated", spec.Name)
	return nil
}

func (d *deployer) warn(service string, warnings []string) {
	for _, w := range warnings {
		d.c.Log.Warn("daemon warning", "service", service, "warning", w)
	}
}
