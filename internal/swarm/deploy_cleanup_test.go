package swarm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// checkRunLabels checks that what the deploy created carries the run label,
// and that the shared proxy network carries no stack label.
func checkRunLabels(t *testing.T, c *Client, app *recipe.App, runID string) {
	t.Helper()
	ctx := t.Context()
	want := func(kind, name string, labels map[string]string) {
		if labels[LabelRun] != runID || labels[LabelNamespace] != app.Stack {
			t.Errorf("%s %s labels %v: want %s=%s and %s=%s", kind, name, labels, LabelRun, runID, LabelNamespace, app.Stack)
		}
	}
	for _, s := range app.Services {
		res, err := c.API.ServiceInspect(ctx, s.FullName, client.ServiceInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want("service", s.FullName, res.Service.Spec.Labels)
		cs := res.Service.Spec.TaskTemplate.ContainerSpec
		want("containers of", s.FullName, cs.Labels)
		if !strings.HasPrefix(cs.Image, "sha256:") {
			t.Errorf("service %s image %q: want the local image ID", s.FullName, cs.Image)
		}
	}
	for _, s := range app.Secrets {
		res, err := c.API.SecretInspect(ctx, s.FullName, client.SecretInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want("secret", s.FullName, res.Secret.Spec.Labels)
	}
	for _, o := range app.Configs {
		res, err := c.API.ConfigInspect(ctx, o.FullName, client.ConfigInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want("config", o.FullName, res.Config.Spec.Labels)
		if tpl := res.Config.Spec.Templating; o.TemplateDriver != "" && (tpl == nil || tpl.Name != o.TemplateDriver) {
			t.Errorf("config %s templating %+v: want %s", o.FullName, tpl, o.TemplateDriver)
		}
	}
	for _, n := range app.Networks {
		res, err := c.API.NetworkInspect(ctx, n.FullName, client.NetworkInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case n.External && res.Network.Labels[LabelNamespace] != "":
			t.Errorf("shared network %s has stack label %v", n.FullName, res.Network.Labels)
		case !n.External:
			want("network", n.FullName, res.Network.Labels)
		}
	}
}

// removeDeployedStack removes everything a test deployed under stack, then
// fails the test if anything is left. It is a plain test helper, not the
// product's teardown.
func removeDeployedStack(t *testing.T, c *Client, stack string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	byLabel := make(client.Filters).Add("label", LabelNamespace+"="+stack)
	if res, err := c.API.ServiceList(ctx, client.ServiceListOptions{Filters: byLabel}); err == nil {
		for _, s := range res.Items {
			_, _ = c.API.ServiceRemove(ctx, s.ID, client.ServiceRemoveOptions{})
		}
	}
	// Volumes and networks go only once the containers are destroyed.
	waitEmpty(ctx, t, "containers of "+stack+" destroyed", func() []string { return testStackContainers(ctx, c, stack) })
	if res, err := c.API.NetworkList(ctx, client.NetworkListOptions{Filters: byLabel}); err == nil {
		for _, n := range res.Items {
			_, _ = c.API.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
		}
	}
	waitEmpty(ctx, t, "volumes of "+stack+" removed", func() []string {
		res, _ := c.API.VolumeList(ctx, client.VolumeListOptions{Filters: byLabel})
		var left []string
		for _, v := range res.Items {
			if _, err := c.API.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
				left = append(left, v.Name)
			}
		}
		return left
	})
	if res, err := c.API.SecretList(ctx, client.SecretListOptions{Filters: byLabel}); err == nil {
		for _, s := range res.Items {
			_, _ = c.API.SecretRemove(ctx, s.ID, client.SecretRemoveOptions{})
		}
	}
	if res, err := c.API.ConfigList(ctx, client.ConfigListOptions{Filters: byLabel}); err == nil {
		for _, o := range res.Items {
			_, _ = c.API.ConfigRemove(ctx, o.ID, client.ConfigRemoveOptions{})
		}
	}
	// Networks linger a few seconds after their removal.
	if left := waitEmpty(ctx, t, "no residue of "+stack, func() []string { return testStackResidue(ctx, c, stack) }); len(left) > 0 {
		t.Errorf("left behind by stack %s: %s", stack, strings.Join(left, ", "))
	}
}

// waitEmpty polls list until it is empty or ctx ends, returning what is left.
func waitEmpty(ctx context.Context, t *testing.T, what string, list func() []string) []string {
	t.Helper()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		left := list()
		if len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			t.Logf("gave up waiting for %s: %v", what, left)
			return left
		case <-tick.C:
		}
	}
}

func testStackContainers(ctx context.Context, c *Client, stack string) []string {
	var out []string
	for _, f := range testStackFilters(stack) {
		res, _ := c.API.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		for _, x := range res.Items {
			if len(x.Names) > 0 && (f["label"] != nil || strings.HasPrefix(strings.TrimPrefix(x.Names[0], "/"), stack+"_")) {
				out = append(out, "container "+x.Names[0])
			}
		}
	}
	return out
}

// testStackResidue lists, independently of the removal above, everything that
// carries the stack's label or name prefix.
func testStackResidue(ctx context.Context, c *Client, stack string) []string {
	out := testStackContainers(ctx, c, stack)
	add := func(kind, name string, byLabel bool) {
		if byLabel || strings.HasPrefix(name, stack+"_") {
			out = append(out, fmt.Sprintf("%s %s", kind, name))
		}
	}
	for _, f := range testStackFilters(stack) {
		byLabel := f["label"] != nil
		if res, err := c.API.ServiceList(ctx, client.ServiceListOptions{Filters: f}); err == nil {
			for _, x := range res.Items {
				add("service", x.Spec.Name, byLabel)
			}
		}
		if res, err := c.API.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err == nil {
			for _, x := range res.Items {
				add("network", x.Name, byLabel)
			}
		}
		if res, err := c.API.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err == nil {
			for _, x := range res.Items {
				add("volume", x.Name, byLabel)
			}
		}
		if res, err := c.API.SecretList(ctx, client.SecretListOptions{Filters: f}); err == nil {
			for _, x := range res.Items {
				add("secret", x.Spec.Name, byLabel)
			}
		}
		if res, err := c.API.ConfigList(ctx, client.ConfigListOptions{Filters: f}); err == nil {
			for _, x := range res.Items {
				add("config", x.Spec.Name, byLabel)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func testStackFilters(stack string) []client.Filters {
	return []client.Filters{
		make(client.Filters).Add("label", LabelNamespace+"="+stack),
		make(client.Filters).Add("name", stack+"_"),
	}
}
