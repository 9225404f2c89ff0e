package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/buildinfo"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/exitcode"
	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/janitor"
	"github.com/cc-ci/recipe-test/v2/internal/lease"
	"github.com/cc-ci/recipe-test/v2/internal/lifecycle"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/outdir"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/runlock"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// Run is the state one run's stages share.
type Run struct {
	cfg        config // the run's options, resolved
	Recipe     *recipe.Recipe
	App        *recipe.App
	Result     *results.Run
	Engine     Engine // nil when no selected stage deploys (lint alone)
	Deployment *swarm.Deployment
	Ingress    ingress.Ingress
	Redact     *redact.Redactor
	Enrollment *enrollment.Enrollment // nil without one
	// Out is the output folder, open for the whole run: every output is
	// written through it (see outdir).
	Out *outdir.Dir

	// Deployed is the app now deployed: the base release during an
	// upgrade, else App; nil before the first deploy.
	Deployed *recipe.App

	upgrade   upgradePlan
	backup    backupState
	secrets   suppliedSecrets // recipe.toml's [secrets]
	tmplFacts runFacts        // what the enrollment's templates see

	// deps are the recipes deployed for the app (recipe.toml's
	// [[requires]], transitively), in deployment order: see
	// dependencies.go. Empty for a dependency's own child run.
	deps []*dependency
	// abbrev, when set, names a dependency's run domain instead of its
	// recipe's abbreviation, which may be the app's (oidc-app and
	// oidc-provider are both "oidc").
	abbrev string
	// enrolledOnly makes a dependency's bare name its enrollment's, even
	// when a file of that name is in the current folder.
	enrolledOnly bool
	abbrevs      map[string]bool // the app's: the abbreviations its run's domains use
	// retained keeps a dependency's deployment: the app it serves failed
	// under --retain.
	retained bool

	container string       // the container joined to the reach network; "" on a host
	reach     *swarm.Reach // its membership, while joined

	extraEnv        []string // env assignments on top of .env.sample: recipe.toml's, then --env
	deployAttempted bool
	deadlineStage   string    // the stage during which the run's deadline passed
	progress        io.Writer // redacted progress stream
	stageOut        io.Writer // progress + the current stage's capture
}

// Logf writes one progress line for the current stage.
func (r *Run) Logf(format string, args ...any) {
	fmt.Fprintf(r.stageOut, format+"\n", args...)
}

// noteOnce records a note for the running stage, and logs it, unless the
// stage already has it.
func (r *Run) noteOnce(rec *Record, msg string) {
	if !strings.Contains(rec.note, msg) {
		rec.Note("%s", msg)
		r.Logf("%s", msg)
	}
}

// PlanError is a problem found before anything was deployed: bad input or
// an unusable environment. The CLI maps it to exit code 2.
type PlanError struct{ Err error }

func (e *PlanError) Error() string { return e.Err.Error() }
func (e *PlanError) Unwrap() error { return e.Err }

// ExitCode makes it an exitcode.Coder.
func (e *PlanError) ExitCode() int { return exitcode.Input }

// Execute plans and runs a recipe test and writes results.json and
// junit.xml into opts.Output.Dir. It returns the results, and an error only when
// the run could not start (a *PlanError: nothing was deployed) or the
// results could not be written. A run whose stages failed is not an error:
// read Result.Status.
func Execute(ctx context.Context, opts Options) (*results.Run, error) {
	return executeObserved(ctx, opts, nil)
}

// stageObserver sees the run after each selected stage that ran. Only
// tests observe (to inspect or disturb a deployment between stages): it is
// a parameter here, not an option, so that no test hook sits in Options.
type stageObserver func(ctx context.Context, stage string, r *Run)

// executeObserved is Execute, with observe (nil: none) called after each
// selected stage that ran.
func executeObserved(ctx context.Context, opts Options, observe stageObserver) (*results.Run, error) {
	cfg, err := resolve(opts)
	if err != nil {
		return nil, &PlanError{err}
	}
	// The run's deadline: the stages stop there; teardown, which detaches
	// from ctx, still gets its own bounded time after it.
	ctx, cancel := withDeadline(ctx, cfg.limits.Deadline)
	defer cancel()
	red := &redact.Redactor{}
	red.Add(cfg.output.Redact...)
	r := &Run{cfg: cfg, Redact: red, progress: red.Writer(cfg.output.Progress)}
	r.stageOut = r.progress
	out, err := openOut(cfg.output.Dir)
	if err != nil {
		return nil, &PlanError{err}
	}
	defer out.Close()
	r.Out = out
	r.Result = &results.Run{Status: results.Fail, Location: cfg.source.Recipe, Ref: cfg.source.Ref,
		Deployer: cfg.deploy.Deployer, Ingress: cfg.ingress.Kind, Started: time.Now().UTC(), Residue: []string{}, RunURL: cfg.output.RunURL,
		ToolVersion: buildinfo.Version()}
	if cfg.output.WorkDir == "" {
		// A cloned recipe must outlive the plan: deploys read its config
		// files, so the clone lives as long as the run.
		dir, err := os.MkdirTemp("", "recipe-test-")
		if err != nil {
			return nil, fmt.Errorf("work folder: %w", err)
		}
		defer os.RemoveAll(dir)
		r.cfg.output.WorkDir = dir
	}
	err = r.plan(ctx)
	if err == nil {
		err = r.execute(ctx, observe)
	}
	r.Result.DurationS = time.Since(r.Result.Started).Seconds()
	if err != nil {
		r.Result.Error = red.String(err.Error())
	}
	// Every string of the results is masked before anything encodes them
	// (the files here, the comment and the statuses after): see
	// redact.Value.
	red.Value(r.Result)
	if werr := r.writeOutputs(); werr != nil {
		return r.Result, errors.Join(err, werr)
	}
	return r.Result, err
}

// plan loads and resolves the recipe for a fresh run domain and connects to
// the engine (when a stage deploys). Nothing is created.
func (r *Run) plan(ctx context.Context) error {
	id, err := naming.NewRunID(nil)
	if err != nil {
		return err
	}
	if err := r.planApp(ctx, id); err != nil {
		return err
	}
	if err := r.planDependencies(ctx); err != nil {
		return &PlanError{err}
	}
	if err := r.checkBudget(); err != nil {
		return &PlanError{err}
	}
	if err := r.connect(ctx); err != nil {
		return &PlanError{err}
	}
	for _, d := range r.deps {
		d.run.Engine = r.Engine
		d.run.container = r.container
	}
	if r.cfg.hooks.OnPlanned != nil {
		if err := r.cfg.hooks.OnPlanned(ctx, r.Result); err != nil {
			r.closeEngine()
			return &PlanError{err}
		}
	}
	return nil
}

// planApp loads and resolves the recipe for a fresh run domain under run
// id, with its enrollment, upgrade and secrets: the app's plan, and each
// dependency's (a child run, see dependencies.go).
func (r *Run) planApp(ctx context.Context, id string) error {
	location, ref, err := r.locate()
	if err != nil {
		return &PlanError{err}
	}
	r.registerURLSecrets(location)
	rec, err := r.open(ctx, location, ref)
	if err != nil {
		return &PlanError{err}
	}
	if err := r.findEnrollment(rec.Name); err != nil {
		return &PlanError{err}
	}
	name := rec.Name
	if r.abbrev != "" {
		name = r.abbrev // a dependency's, distinct from the app's and the others'
	}
	domain, err := naming.Domain(name, id, r.cfg.ingress.DomainSuffix)
	if err != nil {
		return &PlanError{fmt.Errorf("--domain-suffix: %w", err)}
	}
	// The enrollment's env (templates over the run's facts), then --env.
	facts := runFacts{domain, naming.StackName(domain), id, rec.Name, r.scheme()}
	r.tmplFacts = facts
	extra, err := r.Enrollment.EnvAssignments(facts)
	if err != nil {
		return &PlanError{err}
	}
	if len(extra) > 0 {
		if err := rec.Set(r.Enrollment.File+" [env]", extra...); err != nil {
			return &PlanError{err}
		}
	}
	if len(r.cfg.deploy.Env) > 0 {
		if err := rec.Set("--env", r.cfg.deploy.Env...); err != nil {
			return &PlanError{err}
		}
	}
	r.extraEnv = append(extra, r.cfg.deploy.Env...)
	grants, err := r.grants(rec)
	if err != nil {
		return &PlanError{err}
	}
	app, err := rec.Resolve(recipe.ResolveOptions{Domain: domain, Grants: grants})
	if err != nil {
		return &PlanError{err}
	}
	r.Recipe, r.App = rec, app
	r.addGrants(app.Grants)
	if r.Enrollment != nil {
		if err := r.checkEnrollment(); err != nil {
			return &PlanError{err}
		}
		if err := checkStreamProbes(r.Enrollment, app); err != nil {
			return &PlanError{err}
		}
		r.applyEnrollment()
		r.Result.Enrollment = r.Enrollment.File
	}
	res := r.Result
	res.Recipe, res.Commit, res.Domain, res.Stack, res.RunID, res.Version = rec.Name, rec.Commit, domain, app.Stack, id, app.Version
	for _, w := range app.Warnings {
		r.Logf("warning: %s", w)
	}
	if w := rec.HistoryWarning; w != "" {
		r.Logf("warning: %s", w)
		r.Result.Warnings = append(r.Result.Warnings, w)
	}
	r.Logf("plan: recipe %s, domain %s, stack %s, stages %v + teardown", rec.Name, domain, app.Stack, r.cfg.stages)
	if r.cfg.has(StageUpgrade) {
		if err := r.planUpgrade(ctx); err != nil {
			return &PlanError{err}
		}
	}
	if err := r.planSecrets(facts); err != nil {
		return &PlanError{err}
	}
	return nil
}

// connect opens the engine when a selected stage deploys (lifecycle's
// Deploys: every stage but lint): a run of lint alone needs no engine.
func (r *Run) connect(ctx context.Context) error {
	if !r.deploys() {
		return nil
	}
	e, err := r.cfg.deploy.Connect(ctx, r.cfg.output.Log)
	if err != nil {
		return err
	}
	r.Engine = e
	if err := r.findContainer(ctx); err != nil {
		r.closeEngine()
		return err
	}
	return nil
}

// deploys reports whether a selected stage deploys.
func (r *Run) deploys() bool {
	return slices.ContainsFunc(r.cfg.stages, func(s string) bool { st, _ := lifecycle.Lookup(s); return st.Deploys })
}

func (r *Run) closeEngine() {
	if r.Engine != nil {
		r.Engine.Close()
		r.Engine = nil
	}
}

// execute runs the janitor, takes the run lock and runs the stages, with
// teardown deferred so that it runs whatever happens.
func (r *Run) execute(ctx context.Context, observe stageObserver) (err error) {
	defer r.closeEngine()
	if !r.cfg.janitor.Off && r.Engine != nil {
		r.reapOrphans(ctx)
	}
	lock, err := runlock.Acquire(r.cfg.janitor.LockDir, r.App.Stack, r.Result.RunID)
	if err != nil {
		return &PlanError{fmt.Errorf("run lock: %w", err)}
	}
	defer lock.Release()
	if r.Engine != nil {
		// The run's liveness in the swarm, for janitors on other runners.
		held, err := lease.Acquire(ctx, r.Engine.Leases(), r.App.Stack, r.Result.RunID, lease.Options{TTL: r.cfg.janitor.LeaseTTL, Log: r.cfg.output.Log})
		if err != nil {
			return &PlanError{fmt.Errorf("run lease: %w", err)}
		}
		defer func() {
			// After teardown (deferred below, so it runs first), even when
			// the run was cancelled.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := held.Release(rctx); err != nil {
				r.Logf("warning: %v", err)
			}
		}()
		// The run's slots of the swarm-wide run budget, held until its
		// teardown (and its dependencies') is done.
		slot, err := r.takeBudget(ctx)
		if err != nil {
			return err
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := slot.Release(rctx); err != nil {
				r.Logf("warning: %v", err)
			}
		}()
	}
	defer func() {
		// Teardown always runs: after failures, panics and cancellation,
		// under a fresh bounded context when ctx is already done.
		// A panic outside a stage (stages recover their own) is a bug of
		// ours: it still gets its teardown, then fails the run.
		p := recover()
		r.Result.Stages = append(r.Result.Stages, r.runStage(ctx, teardown{}))
		r.teardownDependencies(ctx)
		r.finish()
		if r.Ingress != nil {
			r.Ingress.Close()
		}
		if p != nil {
			r.Result.Status = results.Fail
			err = fmt.Errorf("internal error: panic: %v\n%s", p, debug.Stack())
		}
	}()
	failed := ""
	if r.Engine != nil && len(r.deps) > 0 {
		// The dependencies first, each ready and set up; a failure stops
		// the app's stages before they start, and says which one.
		if err := r.deployDependencies(ctx); err != nil {
			r.Result.Error = r.Redact.String(err.Error())
			r.Logf("%s", r.Result.Error)
			failed = "the dependencies"
			if de, ok := err.(*dependencyError); ok {
				failed = "dependency " + de.name
			}
		}
	}
	for _, name := range r.cfg.stages {
		ran := false
		run := func(ctx context.Context, r *Run) results.Stage {
			ran = true
			res := r.runStage(ctx, implementation(name))
			r.markDeadline(ctx, &res)
			return res
		}
		res := unlessStopped(name, failed, run)(ctx, r)
		r.Result.Stages = append(r.Result.Stages, res)
		if desc, _ := lifecycle.Lookup(name); res.Status == results.Fail && desc.Stops {
			failed = name
		}
		if ran && observe != nil {
			observe(ctx, name, r)
		}
	}
	return nil
}

// implementation returns what runs the lifecycle's stage name: the
// lifecycle (internal/lifecycle) says which stages there are, in which
// order and what each brings; these say what each does.
func implementation(name string) Stage {
	for _, st := range []Stage{lintStage{}, install{}, upgrade{}, backupStage{}, restoreStage{}, custom{}} {
		if st.Name() == name {
			return st
		}
	}
	panic("runner: no stage " + name) // normalize rejects unknown names; TestEveryStageImplemented
}

// reapOrphans runs the janitor; its failures are reported, never fatal.
func (r *Run) reapOrphans(ctx context.Context) {
	// A run only reaps orphans under its own domain suffix: runners that
	// share a swarm with other suffixes never touch each other's stacks.
	rep, err := janitor.Run(ctx, r.Engine, janitor.Options{LockDir: r.cfg.janitor.LockDir, Grace: r.cfg.janitor.Grace, LeaseSkew: janitor.DefaultLeaseSkew,
		Log: r.cfg.output.Log, Match: janitor.SuffixMatcher(r.App.Domain[strings.IndexByte(r.App.Domain, '.')+1:])})
	for _, s := range rep.Reaped {
		r.Logf("janitor: reaped orphaned stack %s", s.Stack)
	}
	if err != nil {
		r.Logf("janitor: %v", err)
	}
}

// finish sets the run's status and level from its stages and residue.
func (r *Run) finish() {
	res := r.Result
	res.Status = results.Pass
	for _, st := range res.Stages {
		if st.Status == results.Fail {
			res.Status = results.Fail
		}
	}
	if len(res.Residue) > 0 || res.Error != "" {
		res.Status = results.Fail
	}
	for _, d := range res.Dependencies {
		if d.Status == results.Fail {
			res.Status = results.Fail
		}
	}
	r.parityResults()
	res.ComputeLadder(r.Enrollment.NotApplicableLevels())
}
