package abra_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/abra"
	"github.com/cc-ci/recipe-test/v2/internal/janitor"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The abra deployer is a runner.Engine. Checked here, not in the package:
// the runner must not import it.
var _ runner.Engine = (*abra.Deployer)(nil)

// suffix keeps this package's stacks apart from other packages' tests.
const suffix = "abra.test"

var (
	standInOnce sync.Once
	standIn     string
	standInErr  error
)

// standInAbra builds the stand-in abra (testdata/abra) once per test binary.
func standInAbra(t *testing.T) string {
	t.Helper()
	standInOnce.Do(func() {
		dir, err := os.MkdirTemp("", "abra-standin-")
		if err != nil {
			standInErr = err
			return
		}
		standIn = filepath.Join(dir, "abra")
		out, err := exec.Command("go", "build", "-o", standIn, "./testdata/abra").CombinedOutput()
		if err != nil {
			standInErr = fmt.Errorf("build the stand-in abra: %v\n%s", err, out)
		}
	})
	if standInErr != nil {
		t.Fatal(standInErr)
	}
	return standIn
}

func TestMain(m *testing.M) {
	code := m.Run()
	if standIn != "" {
		os.RemoveAll(filepath.Dir(standIn))
	}
	os.Exit(code)
}

// abraRun runs a recipe test with the abra deployer (the stand-in),
// returning the results, the progress, and the private ABRA_DIRs the run
// made (each must be gone by then).
func abraRun(t *testing.T, recipeDir string, stages ...string) (*results.Run, string, []string) {
	return abraRunWith(t, recipeDir, nil, stages...)
}

// abraRunWith is abraRun with mod applied to the options.
func abraRunWith(t *testing.T, recipeDir string, mod func(*runner.Options), stages ...string) (*results.Run, string, []string) {
	t.Helper()
	testenv.Swarm(t)
	testenv.FixtureImage(t, "webapp", "1")
	kind, cfg, err := abra.Choose("abra", abra.Config{Binary: standInAbra(t), Server: "default"}, nil)
	if err != nil || kind != abra.Abra {
		t.Fatalf("Choose: %s %v", kind, err)
	}
	var dirs []string
	var progress testenv.Buffer
	opts := runner.Options{
		Source: runner.Source{Recipe: recipeDir, RecipesDir: t.TempDir()},
		Stages: stages,
		Deploy: runner.Deploy{Deployer: kind, Timeout: 90 * time.Second,
			Connect: func(ctx context.Context, log *slog.Logger) (runner.Engine, error) {
				d, err := abra.Connect(ctx, cfg, log)
				if err != nil {
					return nil, err
				}
				dirs = append(dirs, d.Dir())
				return d, nil
			},
			Linter: abra.Linter(cfg),
		},
		Ingress: runner.Ingress{DomainSuffix: suffix, Container: "none"},
		Janitor: runner.Janitor{LockDir: t.TempDir()},
		Output:  runner.Output{Dir: t.TempDir(), Progress: &progress},
	}
	if mod != nil {
		mod(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	res, err := runner.Execute(ctx, opts)
	if err != nil {
		t.Fatalf("Execute: %v\n%s", err, progress.String())
	}
	if res.Stack != "" {
		api, err := client.New(client.FromEnv)
		if err != nil {
			t.Fatal(err)
		}
		defer api.Close()
		swarmtest.AssertNoResidue(t, api, res.Stack)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("private ABRA_DIR %s left behind (%v)", d, err)
		}
	}
	return res, progress.String(), dirs
}

func fixture(t *testing.T, name string) string {
	return filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", name)
}

func TestAbraDeployerEndToEnd(t *testing.T) {
	res, progress, dirs := abraRun(t, fixture(t, "example"), "lint", "install", "backup", "restore")
	if len(dirs) != 1 {
		t.Errorf("%d engines opened, want 1", len(dirs))
	}
	if testing.Verbose() {
		t.Logf("progress:\n%s", progress)
	}
	if res.Status != results.Pass || len(res.Residue) != 0 || res.Deployer != "abra" {
		t.Fatalf("status %s deployer %q residue %v stages %+v\n%s", res.Status, res.Deployer, res.Residue, res.Stages, progress)
	}
	for _, name := range []string{"lint", "install", "backup", "restore", "teardown"} {
		st, ok := res.Stage(name)
		if !ok || st.Status != results.Pass {
			t.Errorf("stage %s: %+v", name, st)
		}
	}
	// What ran is abra, through its prompts, in an operator's order.
	order := []string{
		"$ abra recipe lint example --chaos --offline",
		"$ abra app new example --server default --domain " + res.Domain + " --chaos",
		"$ abra app secret generate " + res.Domain + " --all",
		"$ abra app deploy " + res.Domain + " --chaos --no-domain-checks --no-converge-checks",
		"? Continue with deployment? (y/N) y",
		// backup, then the in-place restore, through abra app cp
		"$ abra app cp " + res.Domain + " app:/data/items ",
		"/data/items app:/data\n",
		// the restored service restarted, as an operator does after a restore
		"$ abra app restart " + res.Domain + " app",
		"app service successfully restarted",
		"converged",
		"data check: the original data came back",
		"$ abra app undeploy " + res.Domain,
		"? Continue with undeploy? (y/N) y",
		"$ abra app volume remove " + res.Domain,
		"$ abra app secret remove " + res.Domain + " --all",
		"$ abra app remove " + res.Domain,
		"are you sure? (y/N) y",
		// restore onto a fresh deployment: the app again, its secret inserted
		"$ abra app new example",
		"$ abra app secret insert " + res.Domain + " app_secret v1 ",
		"$ abra app deploy " + res.Domain,
		"$ abra app restart " + res.Domain + " app",
		"data check: the original data came back",
		// teardown
		"$ abra app undeploy " + res.Domain,
		"$ abra app remove " + res.Domain,
	}
	at := 0
	for _, want := range order {
		i := strings.Index(progress[at:], want)
		if i < 0 {
			t.Fatalf("progress lacks %q after offset %d:\n%s", want, at, progress)
		}
		at += i + len(want)
	}
	// abra printed the generated secret once; the log shows it masked.
	if !strings.Contains(progress, "app_secret │ ***") {
		t.Errorf("generated secret not shown masked:\n%s", progress)
	}
	lint, _ := res.Stage("lint")
	if !strings.Contains(testNames(lint), "R009 app-service") || !strings.Contains(testNames(lint), "ours ") {
		t.Errorf("lint tests: %s", testNames(lint))
	}
}

// The upgrade with abra: release 1 deployed afresh, its data seeded by
// the recipe's hooks, release 2 deployed over it with abra (the same app,
// its env file rewritten), the data checked.
func TestAbraUpgradeKeepsData(t *testing.T) {
	testenv.FixtureImage(t, "webapp", "2")
	repo := testenv.TaggedRecipe(t, fixture(t, "upgrade"))
	enrollment := filepath.Join(testenv.RepoRoot(t), "testdata", "enrollments", "upgrade")
	res, progress, _ := abraRunWith(t, repo, func(o *runner.Options) { o.Source.Enrollment = enrollment }, "install", "upgrade")
	if res.Status != results.Pass || res.BaseVersion != "1.0.0+1.0" || res.Version != "2.0.0+2.0" {
		t.Fatalf("status %s base %q version %q stages %+v\n%s", res.Status, res.BaseVersion, res.Version, res.Stages, progress)
	}
	up, _ := res.Stage("upgrade")
	if !strings.Contains(up.Output, "survived the upgrade") || strings.Count(up.Output, "$ abra app deploy "+res.Domain) != 2 {
		t.Errorf("upgrade output:\n%s", up.Output)
	}
}

// Secrets the operator supplies (generate=false, made as recipe.toml
// says) go in with abra app secret insert before abra generates the rest,
// and their values never reach the log.
func TestAbraSuppliedSecrets(t *testing.T) {
	enrollment := filepath.Join(testenv.RepoRoot(t), "testdata", "enrollments", "supplied-secrets")
	res, progress, _ := abraRunWith(t, fixture(t, "supplied-secrets"), func(o *runner.Options) { o.Source.Enrollment = enrollment }, "install")
	if res.Status != results.Pass {
		t.Fatalf("status %s stages %+v\n%s", res.Status, res.Stages, progress)
	}
	for _, name := range []string{"api_key", "salt", "plc_key"} {
		if !strings.Contains(progress, "$ abra app secret insert "+res.Domain+" "+name+" ") {
			t.Errorf("%s not inserted with abra:\n%s", name, progress)
		}
	}
	if strings.Contains(progress, "key-"+res.RunID) {
		t.Errorf("a supplied secret's value is in the log:\n%s", progress)
	}
}

func testNames(st *results.Stage) string {
	var names []string
	for _, tc := range st.Tests {
		names = append(names, tc.Name+"="+string(tc.Status))
	}
	return strings.Join(names, ", ")
}

func TestAbraDeployFailureNamesCommand(t *testing.T) {
	for mode, want := range map[string]string{
		"deploy":       "did not converge in time", // the stack deployed, then abra failed
		"deploy-early": "failed to create config",  // only its network made: abra cannot undeploy it
	} {
		t.Run(mode, func(t *testing.T) {
			t.Setenv("ABRA_STANDIN_FAIL", mode)
			res, progress, _ := abraRun(t, fixture(t, "example"), "install")
			install, _ := res.Stage("install")
			if res.Status != results.Fail || install.Status != results.Fail {
				t.Fatalf("status %s install %+v", res.Status, install)
			}
			for _, w := range []string{"deploy " + res.Stack + " with abra", "abra app deploy " + res.Domain + " --chaos", "exited with status 1", want} {
				if !strings.Contains(install.Reason, w) {
					t.Errorf("install error lacks %q: %s", w, install.Reason)
				}
			}
			if td, _ := res.Stage("teardown"); td.Status != results.Pass || len(res.Residue) != 0 {
				t.Errorf("teardown %+v residue %v\n%s", td, res.Residue, progress)
			}
			if mode == "deploy-early" && (!strings.Contains(progress, "is not deployed, as abra sees it, but left [") || !strings.Contains(progress, "network "+res.Stack+"_internal]: removing them")) {
				t.Errorf("the half-made stack was not removed through the Engine API:\n%s", progress)
			}
		})
	}
}

// A restart after a restore that abra fails (the service scaled to 0 and
// not back) fails both restore cases, naming the command; teardown still
// leaves nothing.
func TestAbraRestartFailureFailsTheRestore(t *testing.T) {
	t.Setenv("ABRA_STANDIN_FAIL", "restart")
	res, progress, _ := abraRun(t, fixture(t, "example"), "backup", "restore")
	restore, _ := res.Stage("restore")
	if res.Status != results.Fail || restore.Status != results.Fail || len(restore.Tests) != 2 {
		t.Fatalf("status %s restore %+v\n%s", res.Status, restore, progress)
	}
	for _, tc := range restore.Tests {
		for _, w := range []string{"restart after the restore: restart " + res.Stack + " with abra", "abra app restart " + res.Domain + " app", "scaled to 0 and not back up"} {
			if tc.Status != results.Fail || !strings.Contains(tc.Reason, w) {
				t.Errorf("%s: %s, reason lacks %q: %s", tc.Name, tc.Status, w, tc.Reason)
			}
		}
	}
	if td, _ := res.Stage("teardown"); td.Status != results.Pass || len(res.Residue) != 0 {
		t.Errorf("teardown %+v residue %v\n%s", td, res.Residue, progress)
	}
}

func TestAbraLintFailsOnErrorRule(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture(t, "example"))); err != nil {
		t.Fatal(err)
	}
	compose := filepath.Join(dir, "compose.yml")
	b, _ := os.ReadFile(compose)
	// No traefik.enable=true: abra's R010, an error.
	os.WriteFile(compose, bytes.Replace(b, []byte(`- "traefik.enable=true"`), []byte(`- "traefik.enable=false"`), 1), 0o644)
	res, progress, dirs := abraRun(t, dir, "lint")
	if len(dirs) != 0 {
		t.Errorf("a run of lint alone opened %d engines", len(dirs))
	}
	lint, _ := res.Stage("lint")
	if res.Status != results.Fail || lint.Status != results.Fail || !strings.Contains(lint.Reason, "R010 traefik-enabled") {
		t.Fatalf("status %s lint %+v\n%s", res.Status, lint, progress)
	}
	if !strings.Contains(progress, "$ abra recipe lint") {
		t.Errorf("progress:\n%s", progress)
	}
}

// A stack abra deployed carries the run label (through the overlay compose
// file), so that another run's janitor, which knows nothing of abra,
// recognises it as an orphaned run and reaps it.
func TestAbraStackIsOursForTheJanitor(t *testing.T) {
	testenv.Swarm(t)
	testenv.FixtureImage(t, "webapp", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	stack, runID := swarmtest.Stack(t, suffix)
	domain := strings.ReplaceAll(stack, "_", ".")
	defer swarmtest.Cleanup(t, api, stack)
	rec, err := recipe.Open(ctx, fixture(t, "example"), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	app, err := rec.Resolve(recipe.ResolveOptions{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	d, err := abra.Connect(ctx, abra.Config{Binary: standInAbra(t), Server: "default"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var log testenv.Buffer
	dep, err := d.Deploy(ctx, app, swarm.DeployOptions{RunID: runID, Progress: func(m string) { fmt.Fprintln(&log, m) }})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if err := d.Converge(ctx, app, 2*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	// The secret abra generated is the one the app reads.
	ct, err := d.ServiceContainer(ctx, stack+"_app")
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.ExecShell(ctx, ct, "cat /run/secrets/app_secret", nil)
	want := dep.Secrets[stack+"_app_secret_v1"]
	if err != nil || len(want) != 32 || strings.TrimSpace(got.Stdout) != want {
		t.Fatalf("secret in the container %q (%v), abra printed %q", got.Stdout, err, want)
	}
	objs, err := d.Objects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		if o.Stack() == stack && (o.Kind == swarm.KindService || o.Kind == swarm.KindVolume) {
			kinds[o.Kind] = true
			if o.Labels[swarm.LabelRun] != runID {
				t.Errorf("%s lacks the run label: %v", o, o.Labels)
			}
		}
	}
	if !kinds[swarm.KindService] || !kinds[swarm.KindVolume] {
		t.Fatalf("no service or volume of %s seen: %v", stack, kinds)
	}
	// Another runner's janitor, with the plain swarm client: the run is
	// dead (no lease, no lock held) and past a zero grace period.
	plain, err := swarm.Connect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	rep, err := janitor.Run(ctx, plain, janitor.Options{LockDir: t.TempDir(), Match: func(s string) bool { return s == stack }})
	if err != nil || len(rep.Reaped) != 1 || len(rep.Reaped[0].Left) != 0 {
		t.Fatalf("janitor: %+v %v", rep, err)
	}
	swarmtest.AssertNoResidue(t, api, stack)
}
