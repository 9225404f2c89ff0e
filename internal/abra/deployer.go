package abra

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/cc-ci/recipe-test/v2/internal/multinode"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// Deployer deploys with abra and reads the swarm with the swarm client. It
// is a runner.Engine (checked in its tests: the runner does not import this
// package): the embedded *swarm.Client answers everything abra has no
// command for, and Deploy, Remove, ArchivePaths, RestoreArchive and Close
// are abra's. abra works through its server's Docker engine, so on a swarm
// of several nodes what is on another node (a task's container, a volume)
// is reached as an operator reaches it, through that node's endpoint.
type Deployer struct {
	*swarm.Client
	r   runner
	log *slog.Logger

	mu   sync.Mutex
	apps map[string]*appState // by stack: the apps this deployer created
	// progress is the last deploy's progress, where the copies of a
	// backup (which the engine interface gives none) are logged too.
	progress func(string)
}

// appState is one app abra knows in the private ABRA_DIR.
type appState struct {
	domain, recipe string
	server         string
}

// Connect connects to the swarm of the Docker environment (as the swarm
// deployer does, reaching the swarm's other nodes through the endpoints)
// and makes the run's private ABRA_DIR. cfg must come from Choose.
func Connect(ctx context.Context, cfg Config, log *slog.Logger, endpoints ...multinode.Endpoint) (*Deployer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := swarm.Connect(ctx, log, endpoints...)
	if err != nil {
		return nil, err
	}
	d, err := New(c, cfg, log)
	if err != nil {
		c.Close()
		return nil, err
	}
	return d, nil
}

// New makes a Deployer over an open swarm client, with a fresh private
// ABRA_DIR holding the server context's folder.
func New(c *swarm.Client, cfg Config, log *slog.Logger) (*Deployer, error) {
	if cfg.Binary == "" || cfg.Server == "" {
		return nil, fmt.Errorf("abra deployer: an abra binary and a server context are both required")
	}
	dir, err := os.MkdirTemp("", "recipe-test-abra-")
	if err != nil {
		return nil, fmt.Errorf("abra deployer: private ABRA_DIR: %w", err)
	}
	// abra keeps an app's env file under its server's folder, which
	// `abra server add` would make; the Docker context of that name is
	// abra's own (in ~/.docker), untouched.
	if err := os.MkdirAll(filepath.Join(dir, "servers", cfg.Server), 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("abra deployer: %w", err)
	}
	return &Deployer{Client: c, log: log, apps: map[string]*appState{},
		r: runner{cfg: cfg, dir: dir, red: &redact.Redactor{}}}, nil
}

// Dir is the private ABRA_DIR; it is removed by Close.
func (d *Deployer) Dir() string { return d.r.dir }

// Close removes the private ABRA_DIR and closes the swarm connection.
func (d *Deployer) Close() error {
	err := os.RemoveAll(d.r.dir)
	if cerr := d.Client.Close(); err == nil {
		err = cerr
	}
	return err
}

func (d *Deployer) app(stack string) *appState {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.apps[stack]
}

func (d *Deployer) setApp(stack string, a *appState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a == nil {
		delete(d.apps, stack)
		return
	}
	d.apps[stack] = a
}

func (a *appState) envFile(dir string) string {
	return filepath.Join(dir, "servers", a.server, a.domain+".env")
}

// copyProgress is where `abra app cp` logs: the last deploy's progress.
func (d *Deployer) copyProgress() func(string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return progressOr(d.progress, d.log)
}

func progressOr(p func(string), log *slog.Logger) func(string) {
	if p != nil {
		return p
	}
	return func(m string) { log.Info(m) }
}
