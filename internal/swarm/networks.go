package swarm

import (
	"context"
	"fmt"
	"maps"
	"slices"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/cli/cli/compose/convert"
	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/moby/moby/client"
)

// declaredNetworks lists the networks services use; a service without any
// joins the stack's "default" network, as docker stack deploy does.
func declaredNetworks(services []composetypes.ServiceConfig) map[string]struct{} {
	out := map[string]struct{}{}
	for _, s := range services {
		if len(s.Networks) == 0 {
			out["default"] = struct{}{}
		}
		for n := range s.Networks {
			out[n] = struct{}{}
		}
	}
	return out
}

// sharedNetwork names the external network the proxy lives on. It is shared
// infrastructure: we create it when missing, without any stack or run label,
// so that no teardown or janitor ever removes it.
const sharedNetwork = "proxy"

func (d *deployer) networks(ctx context.Context) error {
	nets, external := convert.Networks(d.ns, d.app.Compose.Networks, declaredNetworks(d.app.Compose.Services))
	slices.Sort(external)
	for _, name := range external {
		if err := d.externalNetwork(ctx, name); err != nil {
			return err
		}
	}
	existing, err := d.c.API.NetworkList(ctx, client.NetworkListOptions{
		Filters: make(client.Filters).Add("label", LabelNamespace+"="+d.app.Stack),
	})
	if err != nil {
		return fmt.Errorf("list networks of stack %s: %w", d.app.Stack, err)
	}
	have := map[string]bool{}
	for _, n := range existing.Items {
		have[n.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(nets)) {
		if have[name] {
			continue
		}
		opts := nets[name]
		if opts.Driver == "" {
			opts.Driver = "overlay"
		}
		opts.Labels = d.labels(opts.Labels)
		if _, err := d.c.API.NetworkCreate(ctx, name, opts); err != nil {
			return fmt.Errorf("create network %s: %w", name, err)
		}
		d.progress("network %s created", name)
	}
	return nil
}

// externalNetwork checks that an external network exists in swarm scope,
// creating the shared proxy network when it is missing.
func (d *deployer) externalNetwork(ctx context.Context, name string) error {
	res, err := d.c.API.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	switch {
	case err == nil && res.Network.Scope != "swarm":
		return fmt.Errorf("external network %s has scope %q, not swarm", name, res.Network.Scope)
	case err == nil:
		return nil
	case !cerrdefs.IsNotFound(err):
		return fmt.Errorf("inspect external network %s: %w", name, err)
	case name != sharedNetwork:
		return fmt.Errorf("external network %s does not exist: create it (a swarm-scoped overlay network) before deploying", name)
	}
	_, err = d.c.API.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "overlay", Attachable: true})
	if err != nil {
		// Another run may have created it meanwhile: that is fine.
		if _, ierr := d.c.API.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); ierr == nil {
			return nil
		}
		return fmt.Errorf("create shared network %s: %w", name, err)
	}
	d.progress("shared network %s created", name)
	return nil
}
