package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/backup"
	"github.com/cc-ci/recipe-test/v2/internal/lint"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// detectDomain is the domain the recipe is resolved for while detecting:
// only the shape of the result matters, never the domain itself.
const detectDomain = "scaffold.example.org"

// Detection is what the recipe says about itself: what the scaffold writes
// into the enrollment, and what the caller shows in the pull request that
// proposes it.
type Detection struct {
	Recipe       string    // the recipe's name: TYPE in .env.sample
	ComposeFiles []string  // the compose files COMPOSE_FILE chooses, in order
	Services     []Service // in name order
	Probe        Probe     // the guessed readiness probe; Path "" = none
	// Backup are human-readable hints from the backupbot labels, one per
	// backed-up service; empty when no service is backed up.
	Backup []string
	// HookService is the service a [hooks] block would run in: the first
	// backed-up service; "" when none is.
	HookService string
	Secrets     []Secret
	Versions    []string // release tags, oldest first
	// UpstreamTests are the test files found in the recipe repository:
	// slash-separated paths relative to its root, sorted.
	UpstreamTests []string
	Warnings      []string // anything odd found
	// Lint lists the lint rules the recipe fails ("error no-latest: ...",
	// "warning readme: ..."); LintErrors counts the errors among them.
	Lint       []string
	LintErrors int
}

// Service summarises one compose service.
type Service struct {
	Name  string
	Image string
	// Routers summarise its traefik HTTP routers: hosts, paths, port.
	Routers []string
	// Healthcheck is its healthcheck test as a command line; "" = none.
	Healthcheck string
	// Backup summarises what its backupbot labels save; "" = not backed up.
	Backup string
}

// Probe is the guessed readiness probe.
type Probe struct {
	Service string // the service whose router answers it
	Path    string // "" = nothing to probe: no service has a router
	// Statuses are the statuses that mean ready; empty = the runner's
	// default (200, 301, 302).
	Statuses []int
	Why      string // from which label or healthcheck it was guessed
	// Streams are the app's TCP and UDP ways in (Traefik TCP/UDP routers,
	// published ports), which readiness probes too.
	Streams []Stream
}

// Stream is a TCP or UDP way into the app.
type Stream struct {
	Protocol string // tcp or udp
	Service  string // the compose service it reaches
	Port     int    // that service's container port
	Route    string // how Traefik or swarm routes to it
}

// Secret is one secret the recipe uses and how recipe-test generates it.
type Secret struct {
	Name     string
	Length   int  // the `# length=N` hint; 0 = none
	Generate bool // false: generate=false, the operator supplies it
	Charset  string
	// External is true for a secret abra creates (the usual kind); false
	// for one read from a file of the recipe, which nothing generates.
	External bool
}

// Detect reads the recipe checked out in dir. versions are its release
// tags (the caller lists them from git; nil when there are none).
func Detect(dir string, versions []recipe.Version) (*Detection, error) {
	if st, err := os.Stat(dir); err == nil && st.IsDir() { // else LoadDir says what is wrong
		compose := filepath.Join(dir, "compose.yml")
		if _, err := os.Stat(compose); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("scaffold %s: not a recipe: %w", dir,
				&recipe.ConfigError{File: compose, Msg: "missing: every recipe has a compose.yml"})
		} else if err != nil {
			return nil, fmt.Errorf("scaffold %s: %w", dir, err)
		}
	}
	r, err := recipe.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("scaffold %s: load recipe: %w", dir, err)
	}
	app, err := r.Resolve(recipe.ResolveOptions{Domain: detectDomain, NoPolicy: true})
	if err != nil {
		return nil, fmt.Errorf("scaffold %s: resolve recipe %s: %w", dir, r.Name, err)
	}
	d := &Detection{Recipe: r.Name, ComposeFiles: slices.Clone(r.ComposeFiles)}
	for _, w := range app.Warnings {
		d.Warnings = append(d.Warnings, generic(w))
	}
	// What the deploy policy refuses fails every run until a reviewer
	// grants it: say so where the reviewer reads.
	for _, r := range app.Refused {
		d.Warnings = append(d.Warnings, "runs are refused until a maintainer adds the grant to this recipe.toml, if the recipe really needs it: "+generic(r))
	}
	d.detectServices(app)
	d.detectProbe(app)
	for _, s := range app.Secrets {
		d.Secrets = append(d.Secrets, Secret{Name: s.Name, Length: s.Length, Generate: s.Generate, Charset: s.Charset, External: s.External})
		if s.External && !s.Generate {
			d.Warnings = append(d.Warnings, fmt.Sprintf("secret %s: generate=false in .env.sample: the operator supplies its value, so recipe.toml must ([secrets.%s] below: check it makes what the app expects)", s.Name, s.Name))
		}
	}
	sorted := slices.Clone(versions)
	recipe.SortVersions(sorted)
	for _, v := range sorted {
		d.Versions = append(d.Versions, v.Tag)
	}
	if d.UpstreamTests, err = findTests(r.Dir); err != nil {
		return nil, fmt.Errorf("scaffold %s: look for upstream tests: %w", dir, err)
	}
	r.Versions = sorted
	for _, res := range lint.Check(&lint.Input{Recipe: r, App: app}).Results {
		if res.Status == lint.Fail {
			d.Lint = append(d.Lint, string(res.Rule.Severity)+" "+generic(res.Summary()))
			d.LintErrors += btoi(res.Rule.Severity == lint.Error)
		}
	}
	return d, nil
}

// detectServices summarises the services and their backups.
func (d *Detection) detectServices(app *recipe.App) {
	targets, warnings := backup.Plan(app)
	for _, w := range warnings {
		d.Warnings = append(d.Warnings, generic(w))
	}
	hints := map[string]string{}
	for _, t := range targets {
		svc, _ := app.Service(t.Service)
		hints[t.Service] = generic(backupHint(svc, t))
		d.Backup = append(d.Backup, t.Service+": "+hints[t.Service])
		if d.HookService == "" {
			d.HookService = t.Service
		}
		if t.Labels.PreHook != "" {
			d.Warnings = append(d.Warnings, fmt.Sprintf("service %s: its backup runs a pre-hook (a dump, most likely), which the generic marker files cannot check: declare [hooks] in recipe.toml", t.Service))
		}
	}
	anyRouter := false
	for _, s := range app.Services {
		out := Service{Name: s.Name, Image: s.Image, Backup: hints[s.Name]}
		for _, r := range s.Routers {
			out.Routers = append(out.Routers, routerSummary(r))
			anyRouter = true
		}
		if h := s.Healthcheck; h != nil && !h.Disabled && len(h.Test) > 0 {
			out.Healthcheck = generic(healthcheckLine(h.Test))
		}
		d.Services = append(d.Services, out)
	}
	if !anyRouter && len(app.Streams()) == 0 {
		d.Warnings = append(d.Warnings, "no service has a traefik HTTP router (traefik.http.routers.*.rule): the app is not reachable over its domain, so there is nothing to probe")
	}
}

// backupHint describes what a backup target saves and the hooks it runs.
func backupHint(svc *recipe.Service, t backup.Target) string {
	var parts []string
	b := t.Labels
	legacyOnly := len(b.Paths) > 0 && len(b.Volumes) == 0
	if len(b.Paths) > 0 {
		parts = append(parts, "paths "+strings.Join(b.Paths, ","))
	}
	if !legacyOnly && svc != nil {
		for _, m := range svc.Volumes {
			if slices.Contains(b.Excluded, m.Volume) {
				continue
			}
			if sub := b.Volumes[m.Volume]; len(sub) > 0 {
				parts = append(parts, fmt.Sprintf("volume %s (paths: %s)", m.Volume, strings.Join(sub, ",")))
			} else {
				parts = append(parts, fmt.Sprintf("volume %s (all of it)", m.Volume))
			}
		}
	}
	for _, h := range []struct{ name, cmd string }{
		{"pre-hook", b.PreHook}, {"post-hook", b.PostHook},
		{"restore pre-hook", b.RestorePreHook}, {"restore post-hook", b.RestorePostHook},
	} {
		if h.cmd != "" {
			parts = append(parts, h.name+" `"+oneLine(h.cmd)+"`")
		}
	}
	if len(t.Paths) > 0 {
		parts = append(parts, "saves "+strings.Join(t.Paths, ", "))
	}
	return strings.Join(parts, " / ")
}

// routerSummary describes a router: the hosts it serves, its paths and the
// port it forwards to.
func routerSummary(r recipe.Router) string {
	hosts := append(slices.Clone(r.Hosts), r.HostRegexps...)
	s := "host " + strings.Join(hosts, ",")
	if len(hosts) == 0 {
		s = "any host"
	}
	switch {
	case len(r.PathPrefix) > 0:
		s += " path prefix " + strings.Join(r.PathPrefix, ",")
	case len(r.Paths) > 0:
		s += " path " + strings.Join(r.Paths, ",")
	default:
		s += " path /"
	}
	if r.Port > 0 {
		s += fmt.Sprintf(" port %d", r.Port)
	}
	return generic(s)
}

// generic shows the detection's domain and stack name, interpolated into
// what the recipe says, as the variables the recipe wrote.
func generic(s string) string {
	s = strings.ReplaceAll(s, detectDomain, "$DOMAIN")
	return strings.ReplaceAll(s, naming.StackName(detectDomain), "$STACK_NAME")
}

// healthcheckLine renders a compose healthcheck test as a command line.
func healthcheckLine(test []string) string {
	switch test[0] {
	case "CMD", "CMD-SHELL":
		return oneLine(strings.Join(test[1:], " "))
	case "NONE":
		return ""
	}
	return oneLine(strings.Join(test, " "))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// oneLine folds a multi-line command onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
