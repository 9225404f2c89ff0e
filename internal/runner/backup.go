package runner

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/backup"
	"github.com/cc-ci/recipe-test/v2/internal/datacheck"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// backupState carries the backup stage's work to the restore stage.
type backupState struct {
	skip       string // why nothing was backed up
	targets    []backup.Target
	archives   []backup.Archive
	check      datacheck.Checker
	marker     string
	unverified string // why the data cannot be checked; "" = it can
	// noRestart leaves the restored services running as the restore left
	// them. Only tests set it (from a stage observer, after the backup
	// stage), to show what the restart changes.
	noRestart bool
}

// BackupDir is the folder under the output folder that holds the archives.
const BackupDir = "backup"

// checkEnrollment checks the enrollment against the recipe it is for.
func (r *Run) checkEnrollment() error {
	h := r.Enrollment.Hooks
	if h.Defined() && !slices.ContainsFunc(r.App.Services, func(s recipe.Service) bool { return s.Name == h.Service }) {
		var names []string
		for _, s := range r.App.Services {
			names = append(names, s.Name)
		}
		return &recipe.ConfigError{File: r.Enrollment.File, Key: "hooks.service",
			Msg: fmt.Sprintf("names service %q, which recipe %s does not have (services: %s)", h.Service, r.Recipe.Name, strings.Join(names, ", "))}
	}
	return nil
}

func (r *Run) backupLimits() backup.Limits {
	return backup.Limits{HookTimeout: r.cfg.limits.HookTimeout, MaxArchive: r.cfg.limits.MaxArchive}
}

// checker returns the data check for app: the recipe's hooks when its
// enrollment declares them, else generic markers in what app backs up (or,
// when it backs up nothing, in every volume it mounts).
func (r *Run) checker(app *recipe.App) datacheck.Checker {
	logf := datacheck.Logger(r.Logf)
	if r.Enrollment != nil && r.Enrollment.Hooks.Defined() {
		h := r.Enrollment.Hooks
		return &datacheck.Hooks{C: r.Engine, Service: app.Stack + "_" + h.Service, Short: h.Service, Hooks: h, Log: logf, Timeout: r.cfg.limits.HookTimeout}
	}
	m := &datacheck.Markers{C: r.Engine, Log: logf, Timeout: r.cfg.limits.HookTimeout}
	targets, _ := backup.Plan(app)
	for _, t := range targets {
		for _, p := range t.Paths {
			m.Candidates = append(m.Candidates, datacheck.Location{Service: t.FullName, Short: t.Service, Dir: p})
		}
	}
	if len(targets) == 0 {
		for _, s := range app.Services {
			for _, v := range s.Volumes {
				m.Candidates = append(m.Candidates, datacheck.Location{Service: s.FullName, Short: s.Name, Dir: v.Target})
			}
		}
	}
	return m
}

// newMarker is a value unique to one seeding.
func newMarker(runID string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "recipe-test-" + runID + "-" + hex.EncodeToString(b)
}

// ensureHead deploys the ref under test when something else (or nothing)
// is deployed, for stages run without install or upgrade.
func (r *Run) ensureHead(ctx context.Context, rec *Record) error {
	if r.Deployed == r.App {
		return nil
	}
	if err := r.deploy(ctx, rec, r.App); err != nil {
		return err
	}
	return r.ready(ctx, rec)
}

// backupStage seeds data, then backs up every service the recipe's
// backupbot labels select into <out>/backup/<service>.tar, running the
// backup hooks in the containers.
type backupStage struct{}

func (backupStage) Name() string { return StageBackup }

func (backupStage) Run(ctx context.Context, r *Run, rec *Record) error {
	b := &r.backup
	targets, warnings := backup.Plan(r.App)
	for _, w := range warnings {
		r.Logf("warning: %s", w)
	}
	if len(targets) == 0 {
		b.skip = "no service has backupbot.backup=true: the recipe declares nothing to back up"
		return Skip("%s", b.skip)
	}
	if err := r.ensureHead(ctx, rec); err != nil {
		return err
	}
	b.targets, b.check, b.marker = targets, r.checker(r.App), newMarker(r.Result.RunID)
	if err := b.check.Seed(ctx, b.marker); errors.Is(err, datacheck.ErrUnverifiable) {
		b.unverified = err.Error()
		r.Logf("no data check: %s", b.unverified)
	} else if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// A real folder of ours (a symlink planted in its place is replaced),
	// and whatever sits at an archive's name goes before it is written:
	// backup.Backup creates the archive with os.Create, which would
	// follow a symlink the checkout committed there (see outdir).
	dir, err := r.Out.Mkdir(BackupDir)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	for _, t := range targets {
		if err := r.Out.Clear(BackupDir + "/" + t.Service + ".tar"); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		file := filepath.Join(dir, t.Service+".tar")
		a, err := backup.Backup(ctx, r.Engine, t, file, r.backupLimits(), r.Logf)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if a.Entries == 0 {
			return fmt.Errorf("backup: service %s: nothing was saved from %s", t.Service, strings.Join(t.Paths, ", "))
		}
		b.archives = append(b.archives, a)
	}
	if m, ok := b.check.(*datacheck.Markers); ok && b.unverified == "" {
		if err := archivesHold(b.archives, m.MarkerFiles()); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	var files []string
	for _, a := range b.archives {
		files = append(files, a.File)
	}
	rec.Note("saved %s", strings.Join(files, ", "))
	return nil
}

// archivesHold checks that the archives hold every file in want (absolute
// container paths): the backup saved what the labels name.
func archivesHold(archives []backup.Archive, want []string) error {
	have := map[string]bool{}
	for _, a := range archives {
		f, err := os.Open(a.File)
		if err != nil {
			return err
		}
		tr := tar.NewReader(f)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("read %s: %w", a.File, err)
			}
			have["/"+strings.TrimPrefix(hdr.Name, "/")] = true
		}
		f.Close()
	}
	var missing []string
	for _, p := range want {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the archives lack the seeded marker files %s", strings.Join(missing, ", "))
	}
	return nil
}

// restoreStage proves the backup restores the data, twice: in place (mutate
// the data, restore, check the original came back and the mutation is
// gone) and onto a fresh deployment (remove the stack with its volumes,
// redeploy, restore, check), as a real restore onto a new server would.
// Each is a test case of the stage.
type restoreStage struct{}

func (restoreStage) Name() string { return StageRestore }

func (restoreStage) Run(ctx context.Context, r *Run, rec *Record) error {
	b := &r.backup
	if len(b.archives) == 0 {
		reason := b.skip
		if reason == "" {
			reason = "the backup stage saved nothing"
		}
		return Skip("nothing to restore: %s", reason)
	}
	var failed []string
	for _, tc := range []struct {
		name string
		run  func(context.Context, *Run, *Record) error
	}{{"in-place restore", restoreInPlace}, {"fresh restore", restoreFresh}} {
		if ctx.Err() != nil {
			break
		}
		r.Logf("%s:", tc.name)
		start := time.Now()
		err := tc.run(ctx, r, rec)
		t := results.Test{Name: tc.name, Status: results.Pass, DurationS: time.Since(start).Seconds()}
		if err != nil {
			t.Status, t.Reason = results.Fail, r.Redact.String(err.Error())
			failed = append(failed, tc.name+": "+err.Error())
			r.Logf("%s failed: %v", tc.name, err)
		}
		rec.Add(t)
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.unverified != "" {
		return Skip("the restores ran, but %s", b.unverified)
	}
	var services []string
	for _, t := range b.targets {
		services = append(services, t.Service)
	}
	rec.Note("in place and onto a fresh deployment, each followed by a restart of %s; data checked with %s", strings.Join(services, ", "), b.check.Describe())
	return nil
}

// restoreInPlace mutates the data, restores and verifies.
func restoreInPlace(ctx context.Context, r *Run, rec *Record) error {
	b := &r.backup
	if b.unverified == "" {
		if err := b.check.Mutate(ctx); err != nil {
			return fmt.Errorf("mutate: %w", err)
		}
		// A check that passes on mutated data cannot tell a restore from
		// none: refuse to call such a restore proven.
		if err := b.check.Verify(ctx, b.marker); err == nil {
			return fmt.Errorf("mutate: the data check still passes after mutating the data, so it cannot tell whether the restore worked (%s)", b.check.Describe())
		}
		r.Logf("data mutated: the check now fails, as it must")
	}
	if err := r.restoreAll(ctx); err != nil {
		return err
	}
	if err := r.restartRestored(ctx, rec); err != nil {
		return err
	}
	return r.verifyRestored(ctx)
}

// restoreFresh removes the deployment with its volumes, redeploys the ref
// under test with the same secrets, restores and verifies.
func restoreFresh(ctx context.Context, r *Run, rec *Record) error {
	b := &r.backup
	r.Logf("removing stack %s with its volumes", r.App.Stack)
	if err := r.removeStack(ctx); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	r.Deployed = nil
	if err := r.deploy(ctx, rec, r.App); err != nil {
		return fmt.Errorf("redeploy: %w", err)
	}
	if err := r.ready(ctx, rec); err != nil {
		return fmt.Errorf("redeploy: %w", err)
	}
	if b.unverified == "" {
		if err := b.check.Verify(ctx, b.marker); err == nil {
			return fmt.Errorf("the fresh deployment already holds the seeded data before the restore: its volumes were not removed, so the restore proves nothing")
		}
		r.Logf("the fresh deployment does not hold the seeded data, as it must not")
	}
	if err := r.restoreAll(ctx); err != nil {
		return err
	}
	if err := r.restartRestored(ctx, rec); err != nil {
		return err
	}
	return r.verifyRestored(ctx)
}

// restoreAll puts every archive back into its service's container, each
// between the service's restore pre- and post-hooks (backup.Restore).
func (r *Run) restoreAll(ctx context.Context) error {
	b := &r.backup
	for i, t := range b.targets {
		if err := backup.Restore(ctx, r.Engine, t, b.archives[i], r.backupLimits(), r.Logf); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return nil
}

// missingLoadHint points at the usual cause of a restore that brings the
// files back but not the data: a dump made by a backup pre-hook that no
// restore post-hook loads back.
func missingLoadHint(targets []backup.Target) string {
	var hints []string
	for _, t := range targets {
		if t.Labels.PreHook != "" && t.Labels.RestorePostHook == "" {
			hints = append(hints, fmt.Sprintf("service %s backs up with a pre-hook (%q), which usually dumps the data, but has no backupbot.restore.post-hook to load it back", t.Service, t.Labels.PreHook))
		}
	}
	if len(hints) == 0 {
		return ""
	}
	return " (" + strings.Join(hints, "; ") + ")"
}

// restartRestored restarts the services whose data was restored (the
// backup's targets), as an operator restarts an app after a restore (abra
// app restart, after abra app restore), waits for the app to converge and
// to be ready again: a running app may keep the files it opened (a SQLite
// database the restore replaced) or the data it loaded at start, and only
// a fresh start reads what the restore put back. It comes after the
// restore post-hooks (restoreAll), which load dumps into the running
// services: their data is then on disk too, and the restart keeps it.
func (r *Run) restartRestored(ctx context.Context, rec *Record) error {
	b := &r.backup
	if b.noRestart {
		r.Logf("restart skipped: the data is checked against the running services as the restore left them")
		return nil
	}
	var short []string
	for _, t := range b.targets {
		short = append(short, t.Service)
	}
	what := restartedServices(b.targets)
	r.Logf("restarting %s, whose data was restored, so that it reads the restored data afresh", what)
	start := time.Now()
	progress := func(m string) { r.Logf("%s", m) }
	if err := r.Engine.Restart(ctx, r.App, short, progress); err != nil {
		return fmt.Errorf("restart after the restore: %w", err)
	}
	if err := r.Engine.Converge(ctx, r.App, r.timeout(rec), progress); err != nil {
		return fmt.Errorf("restart after the restore: %s did not converge: %w", what, err)
	}
	r.Logf("restarted %s: converged %s after the restart", what, time.Since(start).Round(100*time.Millisecond))
	if err := r.ready(ctx, rec); err != nil {
		return fmt.Errorf("restart after the restore: %w", err)
	}
	return nil
}

// restartedServices names the services a restore restarts: the backup's
// targets.
func restartedServices(targets []backup.Target) string {
	var full []string
	for _, t := range targets {
		full = append(full, t.FullName)
	}
	return strings.Join(full, ", ")
}

// verifyRestored checks, through the restarted app where the data check
// asks the app, that the data is the original.
func (r *Run) verifyRestored(ctx context.Context) error {
	b := &r.backup
	if b.unverified == "" {
		if err := b.check.Verify(ctx, b.marker); err != nil {
			return fmt.Errorf("data check: the restored data was not the original: %w%s", err, missingLoadHint(b.targets))
		}
		r.Logf("data check: the original data came back and the mutation is gone (%s)", b.check.Describe())
	}
	return nil
}
