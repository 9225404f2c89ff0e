package runner

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	mswarm "github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// fakeEngine is an Engine that deploys nothing: it records the calls made
// to it, in order, and runs what a test scripted for a call (a failure, a
// panic, a slow step). Its tasks answer at 127.0.0.1, where a test serves
// the app. Only the pipeline's tests use it; the engine's own behaviour is
// tested against the real swarm (internal/swarm, and this package's other
// tests).
type fakeEngine struct {
	mu      sync.Mutex
	calls   []string
	on      map[string]func(ctx context.Context) error // by method name
	residue []swarm.Resource                           // what Inventory finds
	leases  fakeConfigs
}

var _ Engine = (*fakeEngine)(nil)

// connector returns a Connector that hands out f and records "Connect".
func (f *fakeEngine) connector() Connector {
	return func(ctx context.Context, _ *slog.Logger) (Engine, error) {
		if err := f.do(ctx, "Connect"); err != nil {
			return nil, err
		}
		return f, nil
	}
}

// do records a call and runs its script.
func (f *fakeEngine) do(ctx context.Context, name string) error {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	script := f.on[name]
	f.mu.Unlock()
	if script == nil {
		return nil
	}
	return script(ctx)
}

// Calls returns the calls made so far, in order.
func (f *fakeEngine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeEngine) Objects(ctx context.Context) ([]swarm.Object, error) {
	return nil, f.do(ctx, "Objects")
}

func (f *fakeEngine) Inventory(ctx context.Context, _ string) ([]swarm.Resource, error) {
	if err := f.do(ctx, "Inventory"); err != nil {
		return nil, err
	}
	return slices.Clone(f.residue), nil
}

func (f *fakeEngine) Remove(ctx context.Context, _ string, _ func(string)) error {
	return f.do(ctx, "Remove")
}

func (f *fakeEngine) Leases() lease.API { return &f.leases }

func (f *fakeEngine) ServiceContainer(ctx context.Context, service string) (string, error) {
	return "container-of-" + service, f.do(ctx, "ServiceContainer")
}

func (f *fakeEngine) ExecShell(ctx context.Context, _, _ string, _ []string) (swarm.ExecResult, error) {
	return swarm.ExecResult{}, f.do(ctx, "ExecShell")
}

func (f *fakeEngine) ArchivePaths(ctx context.Context, _ string, _ []string, _ *tar.Writer) (int, error) {
	return 0, f.do(ctx, "ArchivePaths")
}

func (f *fakeEngine) RestoreArchive(ctx context.Context, _ string, _ io.Reader) error {
	return f.do(ctx, "RestoreArchive")
}

func (f *fakeEngine) TaskAddress(ctx context.Context, _ string) (netip.Addr, error) {
	return netip.MustParseAddr("127.0.0.1"), f.do(ctx, "TaskAddress")
}

func (f *fakeEngine) Deploy(ctx context.Context, app *recipe.App, _ swarm.DeployOptions) (*swarm.Deployment, error) {
	return &swarm.Deployment{Stack: app.Stack, Secrets: map[string]string{}}, f.do(ctx, "Deploy")
}

func (f *fakeEngine) Converge(ctx context.Context, _ *recipe.App, _ time.Duration, _ func(string)) error {
	return f.do(ctx, "Converge")
}

func (f *fakeEngine) Restart(ctx context.Context, _ *recipe.App, _ []string, _ func(string)) error {
	return f.do(ctx, "Restart")
}

func (f *fakeEngine) RunOnce(ctx context.Context, _ swarm.OneShot) (swarm.ExecResult, error) {
	return swarm.ExecResult{}, f.do(ctx, "RunOnce")
}

// NetworkContainer says the process runs on a host: no reach network to
// join, so Join is never called.
func (f *fakeEngine) NetworkContainer(ctx context.Context) (string, error) {
	return "", f.do(ctx, "NetworkContainer")
}

func (f *fakeEngine) Join(ctx context.Context, _, _ string) (*swarm.Reach, error) {
	if err := f.do(ctx, "Join"); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("the fake engine joins no network")
}

func (f *fakeEngine) Close() error { return f.do(context.Background(), "Close") }

// fakeConfigs keeps swarm configs in memory, with the Engine API's
// conflict, not-found and version semantics that the lease relies on.
type fakeConfigs struct {
	mu      sync.Mutex
	configs []mswarm.Config
	seq     uint64
}

func (c *fakeConfigs) find(idOrName string) int {
	return slices.IndexFunc(c.configs, func(x mswarm.Config) bool { return x.ID == idOrName || x.Spec.Name == idOrName })
}

func (c *fakeConfigs) ConfigCreate(_ context.Context, o client.ConfigCreateOptions) (client.ConfigCreateResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.find(o.Spec.Name) >= 0 {
		return client.ConfigCreateResult{}, fmt.Errorf("config %s: %w", o.Spec.Name, cerrdefs.ErrConflict)
	}
	c.seq++
	cfg := mswarm.Config{ID: fmt.Sprintf("config%d", c.seq), Spec: o.Spec}
	cfg.Version.Index = c.seq
	c.configs = append(c.configs, cfg)
	return client.ConfigCreateResult{ID: cfg.ID}, nil
}

func (c *fakeConfigs) ConfigInspect(_ context.Context, id string, _ client.ConfigInspectOptions) (client.ConfigInspectResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(id)
	if i < 0 {
		return client.ConfigInspectResult{}, fmt.Errorf("config %s: %w", id, cerrdefs.ErrNotFound)
	}
	return client.ConfigInspectResult{Config: c.configs[i]}, nil
}

func (c *fakeConfigs) ConfigList(context.Context, client.ConfigListOptions) (client.ConfigListResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return client.ConfigListResult{Items: slices.Clone(c.configs)}, nil
}

func (c *fakeConfigs) ConfigUpdate(_ context.Context, id string, o client.ConfigUpdateOptions) (client.ConfigUpdateResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(id)
	switch {
	case i < 0:
		return client.ConfigUpdateResult{}, fmt.Errorf("config %s: %w", id, cerrdefs.ErrNotFound)
	case c.configs[i].Version != o.Version:
		return client.ConfigUpdateResult{}, fmt.Errorf("config %s: update out of sequence: %w", id, cerrdefs.ErrConflict)
	}
	c.seq++
	c.configs[i].Spec = o.Spec
	c.configs[i].Version.Index = c.seq
	return client.ConfigUpdateResult{}, nil
}

func (c *fakeConfigs) ConfigRemove(_ context.Context, id string, _ client.ConfigRemoveOptions) (client.ConfigRemoveResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.find(id)
	if i < 0 {
		return client.ConfigRemoveResult{}, fmt.Errorf("config %s: %w", id, cerrdefs.ErrNotFound)
	}
	c.configs = slices.Delete(c.configs, i, i+1)
	return client.ConfigRemoveResult{}, nil
}

// Names lists the configs' names (the leases left behind).
func (c *fakeConfigs) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, x := range c.configs {
		out = append(out, x.Spec.Name)
	}
	return out
}
