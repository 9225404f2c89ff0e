package runner

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func enrollmentDir(t *testing.T, name string) string {
	return filepath.Join(testenv.RepoRoot(t), "testdata", "enrollments", name)
}

// writeEnrollment writes a recipe.toml into a fresh folder.
func writeEnrollment(t *testing.T, toml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "recipe.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func wantStage(t *testing.T, res *results.Run, name string, status results.Status, inReason ...string) results.Stage {
	t.Helper()
	st := stage(t, res, name)
	if st.Status != status {
		t.Errorf("stage %s: %s (want %s): %s\n%s", name, st.Status, status, st.Reason, st.Output)
	}
	for _, w := range inReason {
		if !strings.Contains(st.Reason, w) {
			t.Errorf("stage %s reason lacks %q: %s", name, w, st.Reason)
		}
	}
	return st
}

// The example recipe has no releases: upgrade skips and says why, backup
// saves the labelled volume path into an archive, both restores bring the
// generic markers back. Declaring the upgrade rung not applicable in
// recipe.toml lifts the level to 3.
func TestLifecycleExampleGenericMarkers(t *testing.T) {
	en := writeEnrollment(t, "[not_applicable]\nupgrade = \"the example has a single release\"\n")
	out := t.TempDir()
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "example"), Enrollment: en}, Output: Output{Dir: out}})
	if res.Status != results.Pass || res.Level != 3 {
		t.Fatalf("status %s level %d ladder %+v\n%s", res.Status, res.Level, res.Ladder, progress)
	}
	wantStage(t, res, "upgrade", results.Skip, "no releases")
	if r := res.Ladder[1]; r.State != results.RungNotApplicable || r.Reason != "the example has a single release" {
		t.Errorf("upgrade rung %+v", r)
	}
	wantStage(t, res, "backup", results.Pass)
	st := wantStage(t, res, "restore", results.Pass)
	if len(st.Tests) != 2 || st.Tests[0].Name != "in-place restore" || st.Tests[1].Name != "fresh restore" ||
		st.Tests[0].Status != results.Pass || st.Tests[1].Status != results.Pass {
		t.Errorf("restore tests %+v", st.Tests)
	}
	for _, w := range []string{"data mutated: the check now fails", "does not hold the seeded data, as it must not", "the original data came back"} {
		if !strings.Contains(st.Output, w) {
			t.Errorf("restore output lacks %q:\n%s", w, st.Output)
		}
	}
	// The archive is a real tar of the labelled path, markers included.
	names := tarNames(t, filepath.Join(out, "backup", "app.tar"))
	for _, want := range []string{"data/items/.recipe-test-marker", "data/items/.recipe-test-extra"} {
		if !names[want] {
			t.Errorf("archive lacks %s: %v", want, names)
		}
	}
}

func tarNames(t *testing.T, file string) map[string]bool {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names[hdr.Name] = true
	}
}

// Release 2 of the upgrade fixture migrates release 1's data format on
// start. Install deploys the head (release 2) on a fresh stack: L1 means
// the ref under test installs. The upgrade then removes it with its
// volumes, deploys release 1, the recipe's hooks seed an item through the
// app's CLI, and the upgrade to release 2 keeps it. Backup and restore
// with the same hooks then pass on release 2. Each stage says which
// release it ran.
func TestUpgradeKeepsData(t *testing.T) {
	testenv.FixtureImage(t, "webapp", "2")
	repo := testenv.TaggedRecipe(t, fixture(t, "upgrade"))
	deployed := map[string]string{} // stage -> the version label of the app service when it ended
	opts := Options{Source: Source{Recipe: repo, Enrollment: enrollmentDir(t, "upgrade")}}
	observe := func(ctx context.Context, stage string, r *Run) {
		svc, err := apiOf(t, r).ServiceInspect(ctx, r.App.Stack+"_app", client.ServiceInspectOptions{})
		if err == nil {
			deployed[stage] = svc.Service.Spec.Labels["coop-cloud."+r.App.Stack+".version"]
		}
	}
	res, progress := execute(t, opts, observe)
	if res.Status != results.Pass || res.Level != 3 || res.BaseVersion != "1.0.0+1.0" || res.Version != "2.0.0+2.0" {
		t.Fatalf("status %s level %d base %q version %q stages %+v\n%s", res.Status, res.Level, res.BaseVersion, res.Version, res.Stages, progress)
	}
	if deployed["install"] != "2.0.0+2.0" || deployed["upgrade"] != "2.0.0+2.0" {
		t.Errorf("deployed after each stage: %v, want the head 2.0.0+2.0 after install and upgrade", deployed)
	}
	if st := wantStage(t, res, "install", results.Pass); st.Release != "2.0.0+2.0" || st.From != "" || st.Note != "" {
		t.Errorf("install %+v", st)
	}
	if l1 := res.Ladder[0]; l1.State != results.RungPassed {
		t.Errorf("L1 %+v", l1)
	}
	st := wantStage(t, res, "upgrade", results.Pass)
	if st.Release != "2.0.0+2.0" || st.From != "1.0.0+1.0" {
		t.Errorf("upgrade ran %q from %q", st.Release, st.From)
	}
	for _, w := range []string{"removing stack " + res.Stack + " with its volumes: the upgrade starts from a fresh release 1.0.0+1.0",
		"removing 1 service", "deploying release 1.0.0+1.0", "upgrading in place from release 1.0.0+1.0 to 2.0.0+2.0", "seed hook in service app", "survived the upgrade"} {
		if !strings.Contains(st.Output, w) {
			t.Errorf("upgrade output lacks %q:\n%s", w, st.Output)
		}
	}
	// Created fresh three times: the head by install, the base release by
	// the upgrade, the head again by the fresh restore.
	if n := strings.Count(progress, "service "+res.Stack+"_app created"); n != 3 {
		t.Errorf("the app service was created %d times, want 3 (install, upgrade's base, fresh restore):\n%s", n, progress)
	}
	for _, name := range []string{"backup", "restore"} {
		if st := wantStage(t, res, name, results.Pass); st.Release != "2.0.0+2.0" {
			t.Errorf("%s ran %q", name, st.Release)
		}
	}
}

// A release 2 that does not migrate loses the data: the upgrade fails at
// the data check, naming both releases. Without install, the upgrade stage
// deploys the base release itself.
func TestUpgradeLosesData(t *testing.T) {
	testenv.FixtureImage(t, "webapp", "2")
	repo := testenv.TaggedRecipe(t, fixture(t, "upgrade"))
	res, progress := execute(t, Options{Source: Source{Recipe: repo, Enrollment: enrollmentDir(t, "upgrade")},
		Stages: []string{StageUpgrade},
		Deploy: Deploy{Env: []string{"MIGRATE=off"}}})
	if res.Status != results.Fail || res.Level != 0 {
		t.Fatalf("status %s level %d\n%s", res.Status, res.Level, progress)
	}
	st := wantStage(t, res, "upgrade", results.Fail, "data check: ", "1.0.0+1.0", "2.0.0+2.0", "verify hook", "item recipe-test-marker not found")
	if !strings.Contains(st.Output, "deploying release 1.0.0+1.0") {
		t.Errorf("upgrade output:\n%s", st.Output)
	}
}

// Testing the first release: there is nothing to upgrade from.
func TestUpgradeFirstReleaseSkips(t *testing.T) {
	repo := testenv.TaggedRecipe(t, fixture(t, "upgrade"))
	res, progress := execute(t, Options{Source: Source{Recipe: repo, Ref: "1.0.0+1.0"}, Stages: []string{StageUpgrade}})
	if res.Status != results.Pass || res.Level != 0 {
		t.Fatalf("status %s level %d\n%s", res.Status, res.Level, progress)
	}
	wantStage(t, res, "upgrade", results.Skip, "1.0.0+1.0 is the first")
}

// A recipe whose backup is a dump made by a pre-hook and loaded back by a
// restore post-hook restores its live data, in place and fresh.
func TestBackupHooksRestore(t *testing.T) {
	out := t.TempDir()
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "backup-hooks"), Enrollment: enrollmentDir(t, "backup-hooks")},
		Stages: []string{StageBackup, StageRestore},
		Output: Output{Dir: out}})
	if res.Status != results.Pass {
		t.Fatalf("status %s stages %+v\n%s", res.Status, res.Stages, progress)
	}
	b := wantStage(t, res, "backup", results.Pass)
	if !strings.Contains(b.Output, "backupbot.backup.pre-hook: /webapp dump /data/dump.json") {
		t.Errorf("backup output:\n%s", b.Output)
	}
	r := wantStage(t, res, "restore", results.Pass)
	if strings.Count(r.Output, "backupbot.restore.post-hook") != 2 {
		t.Errorf("the restore post-hook should run twice (in place, fresh):\n%s", r.Output)
	}
	if names := tarNames(t, filepath.Join(out, "backup", "app.tar")); !names["data/dump.json"] || len(names) != 1 {
		t.Errorf("archive holds %v, want only data/dump.json", names)
	}
}

// The bug found in a published recipe: without a restore post-hook the
// dump comes back but the live data stays as it was. The restore must fail
// and say the data was not the original.
func TestRestoreWithoutPostHookFails(t *testing.T) {
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "backup-no-restore-hook"), Enrollment: enrollmentDir(t, "backup-no-restore-hook")},
		Stages: []string{StageBackup, StageRestore}})
	if res.Status != results.Fail {
		t.Fatalf("status %s\n%s", res.Status, progress)
	}
	st := wantStage(t, res, "restore", results.Fail, "the restored data was not the original", "has no backupbot.restore.post-hook to load it back")
	for _, tc := range st.Tests {
		if tc.Status != results.Fail || !strings.Contains(tc.Reason, "the restored data was not the original") || len(st.Tests) != 2 {
			t.Errorf("test %+v", tc)
		}
	}
}

// The restore restarts the services whose data it restored, and that
// matters: the restart-cache fixture serves the items it loaded when it
// started, and its data check asks the running app. With the restart both
// restores pass, the restart logged with its convergence time; the same
// run with the restart left out fails both, the app still serving what it
// had before the restore.
func TestRestoreRestartsTheApp(t *testing.T) {
	opts := func() Options {
		return Options{Source: Source{Recipe: fixture(t, "restart-cache"), Enrollment: enrollmentDir(t, "restart-cache")},
			Stages: []string{StageBackup, StageRestore}}
	}
	t.Run("restarted", func(t *testing.T) {
		res, progress := execute(t, opts())
		if res.Status != results.Pass {
			t.Fatalf("status %s stages %+v\n%s", res.Status, res.Stages, progress)
		}
		st := wantStage(t, res, "restore", results.Pass)
		if len(st.Tests) != 2 || st.Tests[0].Status != results.Pass || st.Tests[1].Status != results.Pass {
			t.Errorf("restore tests %+v", st.Tests)
		}
		if !strings.Contains(st.Note, "each followed by a restart of app;") {
			t.Errorf("restore note %q does not say the app was restarted", st.Note)
		}
		svc := res.Stack + "_app"
		restarted := regexp.MustCompile(`restarted ` + regexp.QuoteMeta(svc) + `: converged [0-9.]+m?s after the restart`)
		if n := len(restarted.FindAllString(st.Output, -1)); n != 2 {
			t.Errorf("%d restarts logged with their convergence time, want 2 (in place, fresh):\n%s", n, st.Output)
		}
		// The order of one restore: the files back, the restart, the
		// app ready again, then the data check through the app.
		in := st.Output[strings.Index(st.Output, "in-place restore:"):]
		at := 0
		for _, w := range []string{"restored ", "restarting " + svc + ", whose data was restored", "forced update", "restarted " + svc, "ready: GET", "data check: the original data came back"} {
			i := strings.Index(in[at:], w)
			if i < 0 {
				t.Fatalf("in-place restore lacks %q after offset %d:\n%s", w, at, in)
			}
			at += i + len(w)
		}
	})
	t.Run("not restarted", func(t *testing.T) {
		res, progress := execute(t, opts(), func(_ context.Context, stage string, r *Run) {
			if stage == StageBackup {
				r.backup.noRestart = true
			}
		})
		if res.Status != results.Fail {
			t.Fatalf("status %s: the check through the app passed without a restart\n%s", res.Status, progress)
		}
		st := wantStage(t, res, "restore", results.Fail, "the restored data was not the original")
		if len(st.Tests) != 2 {
			t.Fatalf("restore tests %+v", st.Tests)
		}
		for _, tc := range st.Tests {
			if tc.Status != results.Fail || !strings.Contains(tc.Reason, "the restored data was not the original") {
				t.Errorf("test %+v", tc)
			}
		}
		if strings.Contains(st.Output, "forced update") {
			t.Errorf("restarted although the restart was left out:\n%s", st.Output)
		}
	})
}

// A restart after a restore that does not converge fails the restore
// case, naming the service and its last task's error: here the restored
// items hold a file that makes the app refuse to start.
func TestRestoreRestartThatDoesNotConverge(t *testing.T) {
	en := writeEnrollment(t, `[probe]
path = "/health"
[hooks]
service = "app"
seed = 'for d in /data/items /cache; do echo "$RECIPE_TEST_MARKER" >"$d/marker" || exit 1; done; touch /data/items/refuse-to-start'
mutate = 'for d in /data/items /cache; do echo mutated >"$d/marker" || exit 1; done'
verify = 'test "$(wget -q -O - http://127.0.0.1:8080/marker)" = "$RECIPE_TEST_MARKER"'
`)
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "restart-cache"), Enrollment: en},
		Stages: []string{StageBackup, StageRestore}, Deploy: Deploy{Timeout: 60 * time.Second}})
	if res.Status != results.Fail {
		t.Fatalf("status %s\n%s", res.Status, progress)
	}
	svc := res.Stack + "_app"
	st := wantStage(t, res, "restore", results.Fail)
	if len(st.Tests) != 2 {
		t.Fatalf("restore tests %+v", st.Tests)
	}
	for _, tc := range st.Tests {
		for _, w := range []string{"restart after the restore: " + svc + " did not converge", "non-zero exit (1)"} {
			if tc.Status != results.Fail || !strings.Contains(tc.Reason, w) {
				t.Errorf("test %s: %s, reason lacks %q: %s", tc.Name, tc.Status, w, tc.Reason)
			}
		}
	}
	if !strings.Contains(st.Output, "refuse-to-start is among the items") {
		t.Errorf("the restore's output lacks the app's last words:\n%s", st.Output)
	}
}

// Bad upgrade and enrollment input stops the run before anything is
// deployed, naming what is wrong.
func TestLifecyclePlanErrors(t *testing.T) {
	repo := testenv.TaggedRecipe(t, fixture(t, "upgrade"))
	for name, tc := range map[string]struct {
		opts Options
		want []string
	}{
		"missing base":       {Options{Source: Source{Recipe: repo, UpgradeFrom: "0.9.0"}}, []string{"--upgrade-from", `"0.9.0"`, "1.0.0+1.0, 2.0.0+2.0"}},
		"enrollment base":    {Options{Source: Source{Recipe: repo, Enrollment: writeEnrollment(t, "[upgrade]\nbase = \"0.1.0\"\n")}}, []string{"upgrade.base", "0.1.0"}},
		"unknown key":        {Options{Source: Source{Recipe: repo, Enrollment: writeEnrollment(t, "[hooks]\nservise = \"app\"\n")}}, []string{"recipe.toml:2", "hooks.servise", "unknown key"}},
		"unknown service":    {Options{Source: Source{Recipe: repo, Enrollment: writeEnrollment(t, "[hooks]\nservice = \"db\"\nseed = \"x\"\nmutate = \"x\"\nverify = \"x\"\n")}}, []string{"hooks.service", `"db"`, "services: app"}},
		"missing enrollment": {Options{Source: Source{Recipe: repo, Enrollment: t.TempDir()}}, []string{"recipe.toml", "missing"}},
	} {
		t.Run(name, func(t *testing.T) {
			tc.opts.Output.Dir, tc.opts.Janitor.Off, tc.opts.Janitor.LockDir, tc.opts.Ingress.DomainSuffix = t.TempDir(), true, t.TempDir(), suffix
			res, err := Execute(context.Background(), tc.opts)
			var pe *PlanError
			if !errors.As(err, &pe) || !recipe.IsInputError(err) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if len(res.Stages) != 0 {
				t.Errorf("stages ran: %+v", res.Stages)
			}
		})
	}
}
