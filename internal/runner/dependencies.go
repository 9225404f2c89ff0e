package runner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	composetypes "github.com/docker/cli/cli/compose/types"

	"github.com/cc-ci/recipe-test/v2/internal/deps"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/facts"
	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/runlock"
)

// A dependency is a recipe the run deploys for its app, as recipe.toml's
// [[requires]] declare them (transitively: a dependency's own recipe.toml
// may require others). Each is a child run of its own, planned with the
// app: its recipe, enrollment, run domain and stack (under the run's id),
// secrets, deployment and readiness, with the app's verified teardown. It
// is deployed, made ready and set up before the app (its requirements
// before it), stays up through every stage of the app, and is torn down
// after the app, newest first, its residue failing the run.
type dependency struct {
	name string // the recipe's name
	run  *Run   // its child run (only its install and teardown run)
	node *deps.Node
	// wants are the requirements naming it, with the recipe requiring it:
	// their setup steps run in it, in this order.
	wants []want

	facts   deps.Facts // once deployed and set up
	result  results.Dependency
	lock    *runlock.Lock
	lease   *lease.Lease
	started bool // its install began: it has something to tear down
}

// want is one [[requires]] entry and the run that declared it.
type want struct {
	req   deps.Require
	index int  // its index in the requiring recipe.toml
	of    *Run // the requiring run: the app's, or a dependency's
}

// setupStage is the dependency's setup: the steps of the requirements
// naming it, run in its containers once it is ready.
const setupStage = "setup"

// planDependencies resolves the app's requirements into child runs,
// planned like the app (nothing is deployed), in deployment order, and
// checks every wiring template against what each dependency will have. A
// cycle, a recipe that cannot be found or planned, or a template naming
// an unknown fact is a config error naming the recipe.toml line.
func (r *Run) planDependencies(ctx context.Context) error {
	if r.Enrollment == nil || len(r.Enrollment.Requires) == 0 {
		return nil
	}
	byName := map[string]*dependency{}
	root := r.node()
	order, err := deps.Resolve(root, func(req deps.Require) (*deps.Node, error) {
		if d, ok := byName[req.Name]; ok {
			return d.node, nil
		}
		child, err := r.planChild(ctx, req)
		if err != nil {
			return nil, err
		}
		d := &dependency{name: req.Name, run: child, node: child.node()}
		d.node.Name = req.Name
		byName[req.Name] = d
		return d.node, nil
	})
	if err != nil {
		return err
	}
	for _, n := range order {
		r.deps = append(r.deps, byName[n.Name])
	}
	// Who wants what: the app's requirements, then each dependency's.
	for _, of := range append([]*Run{r}, r.depRuns()...) {
		if of.Enrollment == nil {
			continue
		}
		for i, q := range of.Enrollment.Requires {
			d := byName[q.Name]
			d.wants = append(d.wants, want{req: q, index: i, of: of})
		}
	}
	for _, d := range r.deps {
		w := d.wants[0]
		d.result = results.Dependency{Name: w.req.Key(), Recipe: d.name, For: w.req.Purpose(), Of: w.of.Recipe.Name,
			Version: d.run.App.Version, Commit: d.run.Recipe.Commit, Domain: d.run.App.Domain, Stack: d.run.App.Stack,
			Status: results.Fail, Stages: []results.Stage{}, Residue: []string{}}
		r.Logf("plan: dependency %s (%s, for the %s of %s): domain %s, stack %s", d.name, orUnknown(d.run.App.Version, d.run.Recipe.Commit),
			w.req.Purpose(), w.of.Recipe.Name, d.run.App.Domain, d.run.App.Stack)
	}
	for _, of := range append([]*Run{r}, r.depRuns()...) {
		if err := r.checkWiring(of); err != nil {
			return err
		}
	}
	return nil
}

// node is the run's recipe in the dependency graph.
func (r *Run) node() *deps.Node {
	n := &deps.Node{Name: r.Recipe.Name}
	if r.Enrollment != nil {
		n.File, n.Lines, n.Requires = r.Enrollment.File, r.Enrollment.Lines(), r.Enrollment.Requires
	}
	return n
}

// depRuns are the dependencies' child runs, in deployment order.
func (r *Run) depRuns() []*Run {
	var runs []*Run
	for _, d := range r.deps {
		runs = append(runs, d.run)
	}
	return runs
}

// planChild plans the child run of a required recipe: an enrolled one by
// name (its recipe.toml says where it is), or req's upstream at req's ref.
// It installs only, with the run's engine, limits and masks, its own
// enrollment's probe, and no hooks but the secret mask.
func (r *Run) planChild(ctx context.Context, req deps.Require) (*Run, error) {
	cfg := r.cfg
	cfg.source = Source{Recipe: req.Name, RecipesDir: r.cfg.source.RecipesDir, NoGrantsFrom: r.cfg.source.NoGrantsFrom}
	if req.Upstream != "" {
		cfg.source.Recipe, cfg.source.Ref = req.Upstream, req.Ref
	} else if _, ok, err := enrollment.Find(cfg.source.RecipesDir, req.Name); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%s is not an enrolled recipe (no %s): enroll it, or name its repository with upstream = \"...\"",
			req.Name, filepath.Join(cfg.source.RecipesDir, req.Name, enrollment.FileName))
	}
	cfg.stages, cfg.stagesGiven = []string{StageInstall}, true
	cfg.ingress.Probe = Probe{}
	cfg.hooks = Hooks{OnSecret: r.cfg.hooks.OnSecret}
	child := &Run{cfg: cfg, Redact: r.Redact, Out: r.Out, progress: prefixWriter(r.progress, "["+req.Name+"] "), abbrev: r.freeAbbrev(req.Name), enrolledOnly: req.Upstream == ""}
	child.stageOut = child.progress
	child.Result = &results.Run{Status: results.Fail, Location: cfg.source.Recipe, Deployer: r.Result.Deployer, Ingress: r.Result.Ingress, Residue: []string{}}
	if err := child.planApp(ctx, r.Result.RunID); err != nil {
		return nil, err
	}
	if child.Recipe.Name != req.Name {
		return nil, fmt.Errorf("%s is recipe %s, not %s", cfg.source.Recipe, child.Recipe.Name, req.Name)
	}
	return child, nil
}

// freeAbbrev is the abbreviation of a dependency's run domain: its
// recipe's, else, when the app or another dependency has that one, the
// same shortened by a digit, so that every stack of the run has a domain
// of its own.
func (r *Run) freeAbbrev(name string) string {
	if r.abbrevs == nil {
		r.abbrevs = map[string]bool{naming.Abbrev(r.Recipe.Name): true}
	}
	a := naming.Abbrev(name)
	for n := 2; r.abbrevs[a]; n++ {
		base, digits := naming.Abbrev(name), strconv.Itoa(n)
		a = base[:min(len(base), naming.MaxAbbrev-len(digits))] + digits
	}
	r.abbrevs[a] = true
	return a
}

// wiringData is what wiring templates and setup steps see: the requiring
// run's facts, and .Deps, each dependency's facts by its key.
type wiringData struct {
	runFacts
	Deps map[string]deps.Facts
}

// checkWiring checks the templates of of's requirements against the
// shapes of the dependencies they name, and that the secrets they wire are
// secrets of of's app the operator may supply.
func (r *Run) checkWiring(of *Run) error {
	e := of.Enrollment
	if e == nil {
		return nil
	}
	known := deps.Known{Run: runFactNames, Deps: map[string]deps.Shape{}}
	for _, q := range e.Requires {
		d := r.dependency(q.Name)
		shape := deps.Shape{Outputs: q.Outputs(), Env: slices.Sorted(maps.Keys(d.run.App.Env))}
		for _, s := range d.run.App.Secrets {
			shape.Secrets = append(shape.Secrets, s.Name)
		}
		known.Deps[q.Key()] = shape
	}
	at := func(key string, err error) error {
		return &recipe.ConfigError{File: e.File, Line: e.Lines().Line(key), Key: key, Msg: err.Error()}
	}
	for i, q := range e.Requires {
		p := fmt.Sprintf("requires[%d]", i)
		for _, name := range slices.Sorted(maps.Keys(q.Env)) {
			if err := deps.CheckTemplate(q.Env[name], known); err != nil {
				return at(p+".env."+name, err)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(q.Secrets)) {
			if err := deps.CheckTemplate(q.Secrets[name], known); err != nil {
				return at(p+".secrets."+name, err)
			}
			if err := of.checkSupplied(of.appsToDeploy(), name, p+".secrets."+name); err != nil {
				return err
			}
		}
		// A setup step runs in the dependency it belongs to, before the
		// dependent is deployed: it sees the dependent's run facts and
		// .Deps, the dependency's outputs of the steps before it.
		for j, st := range q.Setup {
			sp := fmt.Sprintf("%s.setup[%d]", p, j)
			k := known
			k.Deps = maps.Clone(known.Deps)
			sh := k.Deps[q.Key()]
			sh.Outputs = nil
			for _, earlier := range q.Setup[:j] {
				sh.Outputs = append(sh.Outputs, earlier.Outputs...)
			}
			k.Deps[q.Key()] = sh
			if err := deps.CheckTemplate(st.Run, k); err != nil {
				return at(sp+".run", err)
			}
			d := r.dependency(q.Name)
			if _, ok := d.run.App.Service(st.Service); !ok {
				return at(sp+".service", fmt.Errorf("recipe %s has no service %q (services: %s)", q.Name, st.Service, serviceNames(d.run.App)))
			}
		}
		// The SSO block runs after the steps: it sees all of their outputs,
		// none of its own.
		if q.SSO != nil {
			k := known
			k.Deps = maps.Clone(known.Deps)
			sh := k.Deps[q.Key()]
			sh.Outputs = nil
			for _, st := range q.Setup {
				sh.Outputs = append(sh.Outputs, st.Outputs...)
			}
			k.Deps[q.Key()] = sh
			for _, f := range q.SSO.Fields() {
				if err := deps.CheckTemplate(*f.Text, k); err != nil {
					return at(p+"."+f.Key, err)
				}
			}
		}
	}
	return nil
}

// appsToDeploy are the apps the run may deploy: the head, and the
// upgrade's base release.
func (r *Run) appsToDeploy() []*recipe.App {
	apps := []*recipe.App{r.App}
	if r.upgrade.app != nil {
		apps = append(apps, r.upgrade.app)
	}
	return apps
}

func serviceNames(app *recipe.App) string {
	var names []string
	for _, s := range app.Services {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

// dependency returns the run's dependency on recipe name.
func (r *Run) dependency(name string) *dependency {
	for _, d := range r.deps {
		if d.name == name {
			return d
		}
	}
	panic("runner: no dependency " + name) // planDependencies resolved every name
}

// wiredSecret says whether a [[requires]] entry supplies secret name.
func (r *Run) wiredSecret(name string) bool {
	if r.Enrollment == nil {
		return false
	}
	for _, q := range r.Enrollment.Requires {
		if _, ok := q.Secrets[name]; ok {
			return true
		}
	}
	return false
}

// deployDependencies deploys every dependency in order: each holds a
// lease and a lock of its own, is wired from its own requirements,
// installed (deployed, converged, ready), then set up; then the app is
// wired. It returns the first failure as "dependency X failed at STAGE".
func (r *Run) deployDependencies(ctx context.Context) error {
	for _, d := range r.deps {
		d.started = true
		if err := r.holdDependency(ctx, d); err != nil {
			return r.dependencyFailed(d, "install", err)
		}
		if err := d.run.wire(ctx, r.factsFor(d.run)); err != nil {
			return r.dependencyFailed(d, "install", err)
		}
		if r.cfg.ingress.Kind == "direct" {
			aliasDomain(d.run.App)
		}
		res := d.run.runStage(ctx, install{})
		d.result.Stages = append(d.result.Stages, res)
		if res.Status != results.Pass {
			return r.dependencyFailed(d, "install", fmt.Errorf("%s", res.Reason))
		}
		d.facts = d.run.depFacts()
		res = d.run.runStage(ctx, setup{d: d, root: r})
		d.result.Stages = append(d.result.Stages, res)
		if res.Status == results.Fail {
			return r.dependencyFailed(d, setupStage, fmt.Errorf("%s", res.Reason))
		}
	}
	if len(r.deps) > 0 {
		if err := r.wire(ctx, r.factsFor(r)); err != nil {
			return fmt.Errorf("wiring the dependencies into %s: %w", r.Recipe.Name, err)
		}
	}
	return nil
}

// dependencyError is a dependency that failed to install or set up.
type dependencyError struct {
	name, stage string
	err         error
}

func (e *dependencyError) Error() string {
	return fmt.Sprintf("dependency %s failed at %s: %v", e.name, e.stage, e.err)
}

func (e *dependencyError) Unwrap() error { return e.err }

func (r *Run) dependencyFailed(d *dependency, stage string, err error) error {
	d.result.Error = r.Redact.String(err.Error())
	return &dependencyError{d.name, stage, err}
}

// holdDependency takes the dependency stack's run lock and lease, as the
// app's: a janitor elsewhere keeps it while this run lives and reaps it
// once the run died.
func (r *Run) holdDependency(ctx context.Context, d *dependency) error {
	var err error
	if d.lock, err = runlock.Acquire(r.cfg.janitor.LockDir, d.run.App.Stack, r.Result.RunID); err != nil {
		return fmt.Errorf("run lock: %w", err)
	}
	if d.lease, err = lease.Acquire(ctx, r.Engine.Leases(), d.run.App.Stack, r.Result.RunID, lease.Options{TTL: r.cfg.janitor.LeaseTTL, Log: r.cfg.output.Log}); err != nil {
		return fmt.Errorf("run lease: %w", err)
	}
	return nil
}

// factsFor returns the facts of the dependencies of's requirements name,
// by their keys.
func (r *Run) factsFor(of *Run) map[string]deps.Facts {
	out := map[string]deps.Facts{}
	if of.Enrollment == nil {
		return out
	}
	for _, q := range of.Enrollment.Requires {
		out[q.Key()] = r.dependency(q.Name).facts
	}
	return out
}

// depFacts are what the run's dependents know of it once it is ready.
func (r *Run) depFacts() deps.Facts {
	f := deps.Facts{Domain: r.App.Domain, Stack: r.App.Stack, URL: r.scheme() + "://" + r.App.Domain,
		Secrets: map[string]string{}, Env: maps.Clone(r.App.Env), Outputs: map[string]string{}}
	if r.Deployment != nil {
		for _, s := range r.App.Secrets {
			if v, ok := r.Deployment.Secrets[s.FullName]; ok {
				f.Secrets[s.Name] = v
			}
		}
	}
	return f
}

// scheme is how the run's ingress reaches a run domain.
func (r *Run) scheme() string {
	if r.cfg.ingress.Kind == "traefik" {
		return "https"
	}
	return "http"
}

// wire renders the run's [[requires]] wiring with its dependencies' facts:
// env assignments on top of the run's (then the app, and the upgrade's
// base release, are resolved again with them) and secret values it
// supplies. A value an env file cannot hold is an error naming its key.
func (r *Run) wire(ctx context.Context, depFacts map[string]deps.Facts) error {
	if r.Enrollment == nil || len(r.Enrollment.Requires) == 0 {
		return nil
	}
	e := r.Enrollment
	data := wiringData{r.tmplFacts, depFacts}
	var env []string
	for i, q := range e.Requires {
		p := fmt.Sprintf("requires[%d]", i)
		for _, name := range slices.Sorted(maps.Keys(q.Env)) {
			v, err := render(e.File, e.Lines(), p+".env."+name, q.Env[name], data)
			if err != nil {
				return err
			}
			if strings.ContainsAny(v, "'\n") {
				return &recipe.ConfigError{File: e.File, Line: e.Lines().Line(p + ".env." + name), Key: p + ".env." + name,
					Msg: "renders to a value with a quote or newline, which an env file cannot hold literally"}
			}
			env = append(env, name+"='"+v+"'")
		}
		for _, name := range slices.Sorted(maps.Keys(q.Secrets)) {
			v, err := render(e.File, e.Lines(), p+".secrets."+name, q.Secrets[name], data)
			if err != nil {
				return err
			}
			if err := r.keepSecret(name, v, p+".secrets."+name); err != nil {
				return err
			}
		}
	}
	if len(env) == 0 {
		return nil
	}
	if err := r.Recipe.Set(e.File+" [requires]", env...); err != nil {
		return err
	}
	r.extraEnv = append(r.extraEnv, env...)
	grants, err := r.grants(r.Recipe)
	if err != nil {
		return err
	}
	app, err := r.Recipe.Resolve(recipe.ResolveOptions{Domain: r.App.Domain, Grants: grants})
	if err != nil {
		return err
	}
	r.App = app
	if r.upgrade.app != nil {
		if r.upgrade.app, err = r.loadRelease(ctx, r.upgrade.version); err != nil {
			return fmt.Errorf("release %s: %w", r.upgrade.version, err)
		}
	}
	r.Logf("wired %d env variables from the dependencies (%s)", len(env), e.File)
	return nil
}

// render executes a template of recipe.toml, an error naming its key.
func render(file string, lines deps.Lines, key, text string, data any) (string, error) {
	t, err := template.New(key).Option("missingkey=error").Parse(text)
	if err == nil {
		var b bytes.Buffer
		if err = t.Execute(&b, data); err == nil {
			return b.String(), nil
		}
	}
	return "", &recipe.ConfigError{File: file, Line: lines.Line(key), Key: key, Msg: "cannot render", Err: err}
}

// aliasDomain gives every routed service of app on the shared proxy
// network the app's domain as a network alias, so that other apps on
// that network (the app this one is a dependency of: its back channel to
// an OpenID provider, say) reach it at http://<domain>, as browsers do
// through the direct ingress. Behind Traefik the domain resolves to
// Traefik, and nothing is added.
func aliasDomain(app *recipe.App) {
	for i, sc := range app.Compose.Services {
		svc, ok := app.Service(sc.Name)
		if !ok || len(svc.Routers) == 0 {
			continue
		}
		cfg, on := sc.Networks["proxy"]
		if !on {
			continue
		}
		if cfg == nil {
			cfg = &composetypes.ServiceNetworkConfig{}
		}
		if !slices.Contains(cfg.Aliases, app.Domain) {
			cfg.Aliases = append(cfg.Aliases, app.Domain)
		}
		app.Compose.Services[i].Networks["proxy"] = cfg
	}
}

// setup runs the setup of every requirement naming the dependency, in the
// order they were declared: its exec steps in the dependency's containers,
// then its [requires.sso] block through the provider's admin API
// (ssosetup.go), keeping the outputs of each for the wiring.
type setup struct {
	d    *dependency
	root *Run // the app's run, which holds every dependency
}

func (setup) Name() string { return setupStage }

func (s setup) Run(ctx context.Context, r *Run, rec *Record) error {
	d := s.d
	steps := 0
	for _, w := range d.wants {
		key := w.req.Key()
		for j, st := range w.req.Setup {
			steps++
			p := fmt.Sprintf("requires[%d].setup[%d]", w.index, j)
			e := w.of.Enrollment
			// The dependent's requirements as they are now: d's own with the
			// outputs of the steps before this one.
			df := s.root.factsFor(w.of)
			script, err := render(e.File, e.Lines(), p+".run", st.Run, wiringData{w.of.tmplFacts, df})
			if err != nil {
				return err
			}
			svc, _ := r.App.Service(st.Service)
			r.Logf("%s %s: running in service %s", e.File, p, st.Service)
			out, err := r.runSetup(ctx, svc.FullName, script)
			if err != nil {
				return fmt.Errorf("%s %s: %w", e.File, p, err)
			}
			got := outputs(out)
			for _, name := range st.Outputs {
				v, ok := got[name]
				if !ok {
					return fmt.Errorf("%s %s printed no %s=... line on its standard output (it must print each of its outputs: %s)", e.File, p, name, strings.Join(st.Outputs, ", "))
				}
				r.maskOutput(v) // client secrets, passwords: never in a report
				d.facts.Outputs[name] = v
			}
			rec.Note("%s: %s (outputs: %s)", key, p, strings.Join(st.Outputs, ", "))
		}
		if w.req.SSO != nil {
			steps++
			if err := s.runSSO(ctx, r, w, rec); err != nil {
				return err
			}
		}
	}
	if steps == 0 {
		return Skip("no setup steps")
	}
	return nil
}

// runSetup runs a setup script in a running container of service,
// bounded by the hook timeout, and returns its standard output; a
// non-zero exit is an error with its standard error's tail.
func (r *Run) runSetup(ctx context.Context, service, script string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.limits.HookTimeout)
	defer cancel()
	id, err := r.Engine.ServiceContainer(ctx, service)
	if err != nil {
		return "", err
	}
	res, err := r.Engine.ExecShell(ctx, id, script, nil)
	if err != nil {
		return "", err
	}
	if res.ExitCode != 0 {
		return "", fmt.Errorf("exited %d: %s", res.ExitCode, stderrTail(res.Stderr))
	}
	return res.Stdout, nil
}

// outputs reads NAME=VALUE lines.
func outputs(stdout string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		if name, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && name != "" && !strings.ContainsAny(name, " \t") {
			out[name] = v
		}
	}
	return out
}

// teardownDependencies tears every dependency that began to install down,
// newest first, each with the app's verified teardown; what one leaves is
// its residue and the run's. It runs after the app's teardown, on every
// path.
func (r *Run) teardownDependencies(ctx context.Context) {
	for i := len(r.deps) - 1; i >= 0; i-- {
		d := r.deps[i]
		if !d.started {
			d.result.Status = results.Skip
			continue
		}
		if r.cfg.deploy.Retain && r.failedSoFar() {
			// Keep what the failed app needs: its dependencies too.
			d.run.retained = true
		}
		res := d.run.runStage(ctx, teardown{})
		d.result.Stages = append(d.result.Stages, res)
		d.result.Residue = append(d.result.Residue, d.run.Result.Residue...)
		r.Result.Residue = append(r.Result.Residue, d.run.Result.Residue...)
		r.release(ctx, d)
		d.result.Status = results.Pass
		for _, st := range d.result.Stages {
			if st.Status == results.Fail {
				d.result.Status = results.Fail
			}
		}
		if len(d.result.Residue) > 0 || d.result.Error != "" {
			d.result.Status = results.Fail
		}
	}
	for _, d := range r.deps {
		r.Result.Dependencies = append(r.Result.Dependencies, d.result)
	}
}

// release lets the dependency's lease and lock go, after its teardown.
func (r *Run) release(ctx context.Context, d *dependency) {
	if d.lease != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := d.lease.Release(rctx); err != nil {
			r.Logf("warning: %v", err)
		}
	}
	if d.lock != nil {
		d.lock.Release()
	}
}

// dependencyApps are the apps of the dependencies deployed, for the app's
// ingress to route their domains too.
func (r *Run) dependencyApps() []*recipe.App {
	var apps []*recipe.App
	for _, d := range r.deps {
		if d.run.Deployed != nil {
			apps = append(apps, d.run.Deployed)
		}
	}
	return apps
}

// dependencyDomains are the domains of the dependencies deployed.
func (r *Run) dependencyDomains() []string {
	var domains []string
	for _, app := range r.dependencyApps() {
		domains = append(domains, app.Domain)
	}
	return domains
}

// dependencyFacts are the dependencies as the recipe's tests see them.
func (r *Run) dependencyFacts() map[string]facts.Dependency {
	if len(r.deps) == 0 {
		return nil
	}
	out := map[string]facts.Dependency{}
	for _, d := range r.deps {
		if d.run.Deployed == nil {
			continue
		}
		services := map[string]string{}
		for _, s := range d.run.App.Services {
			services[s.Name] = s.FullName
		}
		fd := facts.Dependency{Recipe: d.name, Domain: d.facts.Domain, Stack: d.facts.Stack, URL: d.facts.URL,
			Services: services, Secrets: d.facts.Secrets, Env: d.facts.Env, Outputs: d.facts.Outputs}
		for _, w := range d.wants {
			out[w.req.Key()] = fd
		}
	}
	return out
}

// stackResolver finds a task through the resolver of the stack its
// service belongs to: the app's reach network for the app's services, each
// dependency's for its own (a container joins every one of them). Its
// subnets are theirs: the ingress dials only inside the joined networks.
type stackResolver map[string]ingress.JoinedResolver

var _ ingress.JoinedResolver = stackResolver(nil)

// Subnets are the subnets of every reach network joined.
func (s stackResolver) Subnets() []netip.Prefix {
	var out []netip.Prefix
	for _, stack := range slices.Sorted(maps.Keys(s)) {
		out = append(out, s[stack].Subnets()...)
	}
	return out
}

func (s stackResolver) TaskAddress(ctx context.Context, service string) (netip.Addr, error) {
	for stack, res := range s {
		if strings.HasPrefix(service, stack+"_") {
			return res.TaskAddress(ctx, service)
		}
	}
	return netip.Addr{}, fmt.Errorf("service %s belongs to no stack of this run", service)
}
