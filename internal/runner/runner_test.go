package runner

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// suffix keeps this package's stacks apart from other packages' tests.
const suffix = "runner.test"

func fixture(t *testing.T, name string) string {
	return filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", name)
}

func apiClient(t *testing.T) *client.Client {
	t.Helper()
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return api
}

// execute runs a recipe test and checks, independently of the code under
// test, that nothing of its stack is left afterwards.
// observe, when given, sees the run after each stage (executeObserved).
func execute(t *testing.T, opts Options, observe ...stageObserver) (*results.Run, string) {
	t.Helper()
	return executeWithin(t, 5*time.Minute, opts, observe...)
}

// executeWithin is execute with another bound on the whole run (a real
// app's three deploys and browser tests take longer than a fixture's).
func executeWithin(t *testing.T, limit time.Duration, opts Options, observe ...stageObserver) (*results.Run, string) {
	t.Helper()
	testenv.Swarm(t)
	testenv.FixtureImage(t, "webapp", "1")
	var progress bytes.Buffer
	opts.Ingress.DomainSuffix = suffix
	if opts.Output.Dir == "" {
		opts.Output.Dir = t.TempDir()
	}
	opts.Output.Progress = &syncWriter{w: &progress}
	opts.Janitor.LockDir = t.TempDir()
	if opts.Deploy.Timeout == 0 {
		opts.Deploy.Timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var obs stageObserver
	if len(observe) > 0 {
		obs = observe[0]
	}
	res, err := executeObserved(ctx, opts, obs)
	if err != nil {
		t.Fatalf("Execute: %v\n%s", err, progress.String())
	}
	if res.Stack == "" {
		t.Fatalf("no stack in results: %+v", res)
	}
	swarmtest.AssertNoResidue(t, apiClient(t), res.Stack)
	for _, name := range []string{"results.json", "junit.xml", "report.md"} {
		if _, err := os.Stat(filepath.Join(opts.Output.Dir, name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
	return res, progress.String()
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func stage(t *testing.T, res *results.Run, name string) results.Stage {
	t.Helper()
	st, ok := res.Stage(name)
	if !ok {
		t.Fatalf("stage %s missing from %+v", name, res.Stages)
	}
	return *st
}

func TestInstallHealthyMultiService(t *testing.T) {
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "example")}, Stages: []string{StageInstall}})
	if res.Status != results.Pass || res.Level != 1 || len(res.Residue) != 0 {
		t.Fatalf("status %s level %d residue %v stages %+v\n%s", res.Status, res.Level, res.Residue, res.Stages, progress)
	}
	if st := stage(t, res, "install"); !strings.Contains(st.Output, "2/2 services") || !strings.Contains(st.Output, "ready: GET http://"+res.Domain+"/ answered 200") {
		t.Errorf("install output:\n%s", st.Output)
	}
	if !strings.HasSuffix(res.Domain, "."+suffix) || res.Stack != strings.ReplaceAll(res.Domain, ".", "_") {
		t.Errorf("domain %s stack %s", res.Domain, res.Stack)
	}
	if !strings.Contains(progress, "[teardown] nothing left") {
		t.Errorf("progress:\n%s", progress)
	}
}

func TestInstallFailures(t *testing.T) {
	for name, want := range map[string][]string{
		"unhealthy":     {"converge", "_app", "unhealthy"},
		"crashloop":     {"converge", "_app", "non-zero exit"},
		"missing-image": {"converge", "_app", "recipe-test-fixtures/does-not-exist:1"},
		"http500":       {"readiness", "500"},
	} {
		t.Run(name, func(t *testing.T) {
			// TIMEOUT feeds the recipe's timeout label, which wins over --timeout.
			res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, name)}, Deploy: Deploy{Env: []string{"TIMEOUT=25"}}})
			st := stage(t, res, "install")
			if res.Status != results.Fail || st.Status != results.Fail || res.Level != 0 {
				t.Fatalf("status %s, install %+v\n%s", res.Status, st, progress)
			}
			for _, w := range want {
				if !strings.Contains(st.Reason, w) {
					t.Errorf("install reason lacks %q:\n%s", w, st.Reason)
				}
			}
			if td := stage(t, res, "teardown"); td.Status != results.Pass {
				t.Errorf("teardown after a failed install: %+v", td)
			}
		})
	}
}

// A leak injected after the deploy (a volume carrying the stack's label and
// a foreign container holding the stack's volume) is residue and fails the run.
func TestLeakIsResidue(t *testing.T) {
	var leakVolume, leakContainer string
	api := apiClient(t)
	opts := Options{Source: Source{Recipe: fixture(t, "example")}, Stages: []string{StageInstall}}
	inject := func(ctx context.Context, _ string, r *Run) {
		leakVolume = r.App.Stack + "_leak"
		if _, err := api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: leakVolume,
			Labels: map[string]string{swarm.LabelNamespace: r.App.Stack}}); err != nil {
			t.Errorf("inject volume: %v", err)
		}
		img := testenv.FixtureImage(t, "webapp", "1")
		c, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{Name: "rt-leak-" + r.Result.RunID,
			Config:     &container.Config{Image: img, Cmd: []string{"/bin/busybox", "sleep", "600"}},
			HostConfig: &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: r.App.Stack + "_data", Target: "/data"}}}})
		if err != nil {
			t.Errorf("inject container: %v", err)
			return
		}
		leakContainer = c.ID
	}
	testenv.Swarm(t)
	t.Cleanup(func() {
		ctx := context.Background()
		if leakContainer != "" {
			api.ContainerRemove(ctx, leakContainer, client.ContainerRemoveOptions{Force: true})
		}
		// The run's teardown could not remove these while the leak held them.
		if leakVolume != "" {
			stack := strings.TrimSuffix(leakVolume, "_leak")
			swarmtest.Cleanup(t, api, stack)
		}
	})
	// execute's own residue check would fail by design here, so call Execute directly.
	opts.Ingress.DomainSuffix, opts.Output.Dir, opts.Janitor.LockDir, opts.Deploy.Timeout = suffix, t.TempDir(), t.TempDir(), 90*time.Second
	res, err := executeObserved(context.Background(), opts, inject)
	if err != nil {
		t.Fatal(err)
	}
	td := stage(t, res, "teardown")
	joined := strings.Join(res.Residue, "\n")
	// The stray volume carries the namespace, so teardown removed it; the
	// volume a foreign container holds cannot go: both are named.
	if res.Status != results.Fail || td.Status != results.Fail || strings.Contains(joined, leakVolume) ||
		!strings.Contains(joined, "volume "+res.Stack+"_data") || !strings.Contains(joined, "container rt-leak-"+res.RunID) {
		t.Errorf("status %s teardown %+v residue:\n%s", res.Status, td, joined)
	}
	if !strings.Contains(td.Reason, "left behind after teardown: ") {
		t.Errorf("teardown reason: %s", td.Reason)
	}
	data, _ := os.ReadFile(filepath.Join(opts.Output.Dir, "results.json"))
	if !bytes.Contains(data, []byte(`"volume `+res.Stack+`_data"`)) {
		t.Errorf("results.json lacks the residue:\n%s", data)
	}
}

// Two runs of the same recipe at the same time get their own domains and
// stacks, and both pass.
func TestConcurrentRuns(t *testing.T) {
	// The gates skip (or fail) here, on the test's goroutine: a skip from
	// one of the run goroutines below would only end that goroutine.
	testenv.Swarm(t)
	testenv.FixtureImage(t, "webapp", "1")
	var wg sync.WaitGroup
	runs := make([]*results.Run, 2)
	for i := range runs {
		wg.Go(func() {
			runs[i], _ = execute(t, Options{Source: Source{Recipe: fixture(t, "example")}, Stages: []string{StageInstall}})
		})
	}
	wg.Wait()
	if t.Failed() || t.Skipped() || runs[0] == nil || runs[1] == nil {
		if !t.Failed() && !t.Skipped() {
			t.Fatal("a run ended without results")
		}
		return
	}
	if runs[0].Stack == runs[1].Stack {
		t.Fatalf("both runs used stack %s", runs[0].Stack)
	}
	for _, r := range runs {
		if r.Status != results.Pass {
			t.Errorf("run %s: %s %+v", r.Stack, r.Status, r.Stages)
		}
	}
}

func TestBadInputDeploysNothing(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".env.sample"), []byte("TYPE=bad\nCOMPOSE_FILE=compose.yml:compose.missing.yml\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "compose.yml"), []byte("version: '3.8'\nservices:\n  app:\n    image: x\n"), 0o644)
	out := t.TempDir()
	res, err := Execute(context.Background(), Options{Source: Source{Recipe: dir}, Janitor: Janitor{Off: true}, Output: Output{Dir: out}})
	var pe *PlanError
	if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), "compose.missing.yml") {
		t.Fatalf("err = %v", err)
	}
	if res.Status != results.Fail || len(res.Stages) != 0 || res.Error == "" {
		t.Errorf("results %+v", res)
	}
	junit, _ := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err := xml.Unmarshal(junit, new(struct{})); err != nil || !bytes.Contains(junit, []byte("compose.missing.yml")) {
		t.Errorf("junit: %v\n%s", err, junit)
	}
	for _, bad := range []Options{{Source: Source{Recipe: dir}, Stages: []string{"bogus"}}, {Source: Source{Recipe: dir}, Ingress: Ingress{Kind: "carrier-pigeon"}}, {}} {
		if _, err := Execute(context.Background(), bad); !errors.As(err, &pe) {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
}

// A panic after the deploy still gets its teardown, and fails the run.
func TestPanicStillTearsDown(t *testing.T) {
	testenv.Swarm(t)
	var stack string
	opts := Options{Source: Source{Recipe: fixture(t, "example")},
		Ingress: Ingress{DomainSuffix: suffix},
		Janitor: Janitor{LockDir: t.TempDir()},
		Output:  Output{Dir: t.TempDir()}}
	res, err := executeObserved(context.Background(), opts, func(_ context.Context, _ string, r *Run) { stack = r.App.Stack; panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "panic: boom") || res.Status != results.Fail {
		t.Fatalf("err = %v, status %s", err, res.Status)
	}
	if td := stage(t, res, "teardown"); td.Status != results.Pass {
		t.Errorf("teardown = %+v", td)
	}
	swarmtest.AssertNoResidue(t, apiClient(t), stack)
}

// --retain keeps a failed deployment, says how to remove it, and the
// teardown command then removes it completely.
func TestRetainKeepsFailedDeployment(t *testing.T) {
	testenv.Swarm(t)
	api := apiClient(t)
	opts := Options{Source: Source{Recipe: fixture(t, "http500")},
		Deploy:  Deploy{Env: []string{"TIMEOUT=5"}, Retain: true},
		Ingress: Ingress{DomainSuffix: suffix},
		Janitor: Janitor{LockDir: t.TempDir(), Off: true},
		Output:  Output{Dir: t.TempDir()}}
	var progress bytes.Buffer
	opts.Output.Progress = &syncWriter{w: &progress}
	res, err := Execute(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { swarmtest.Cleanup(t, api, res.Stack) })
	td := stage(t, res, "teardown")
	if res.Status != results.Fail || td.Status != results.Skip || !strings.Contains(progress.String(), "recipe-test teardown "+res.Stack) {
		t.Fatalf("status %s teardown %+v\n%s", res.Status, td, progress.String())
	}
	left, err := swarmtest.Residue(context.Background(), api, res.Stack)
	if err != nil || len(left) == 0 {
		t.Fatalf("retained stack is gone: %v %v", left, err)
	}
	c, err := swarm.Connect(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Remove(context.Background(), res.Stack, nil); err != nil {
		t.Fatal(err)
	}
	swarmtest.AssertNoResidue(t, api, res.Stack)
}

// A recipe given as a git URL at a tag is cloned for the run, and the clone
// lives until the deploy has read its config files.
func TestInstallFromGitURL(t *testing.T) {
	repo := t.TempDir()
	if err := os.CopyFS(repo, os.DirFS(fixture(t, "example"))); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "-A"},
		{"-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "example"},
		{"tag", "1.0.0+1.0"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	res, progress := execute(t, Options{Source: Source{Recipe: "file://" + repo, Ref: "1.0.0+1.0"}, Stages: []string{StageInstall}})
	if res.Status != results.Pass || res.Commit == "" || res.Ref != "1.0.0+1.0" {
		t.Fatalf("status %s commit %q ref %q stages %+v\n%s", res.Status, res.Commit, res.Ref, res.Stages, progress)
	}
}

// swarmOf is the run's engine as the swarm client the real-swarm tests
// look through, independently of the Engine interface.
func swarmOf(t *testing.T, r *Run) *swarm.Client {
	t.Helper()
	c, ok := r.Engine.(*swarm.Client)
	if !ok {
		t.Fatalf("the run's engine is a %T, not a *swarm.Client", r.Engine)
	}
	return c
}

func apiOf(t *testing.T, r *Run) *client.Client { return swarmOf(t, r).API }
