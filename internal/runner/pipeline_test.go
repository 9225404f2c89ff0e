package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/lifecycle"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// The pipeline against a fake engine (fakeengine_test.go), in the manner
// of nektos/act's job_executor_test.go: which stages ran, in which order,
// with which status, and what was asked of the engine. No Docker engine is
// needed: the app's readiness is answered by a local TLS server that the
// traefik ingress is pointed at (--connect-to), so the ingress and the
// probe are the real ones.
func TestPipeline(t *testing.T) {
	app := serveApp(t)
	boom := errors.New("boom")
	fails := func(err error) func(context.Context) error { return func(context.Context) error { return err } }
	deployed := []string{"Connect", "Objects", "Deploy", "Converge"}
	tornDown := []string{"Remove", "Inventory", "Close"}
	for _, tc := range []struct {
		name     string
		recipe   func(t *testing.T) string // nil = the example fixture
		opts     Options
		on       map[string]func(context.Context) error
		cancelAt string           // the call during which the run is cancelled
		residue  []swarm.Resource // what the inventory still finds
		want     []string         // "stage status", in order
		reasons  map[string]string
		calls    []string
		status   results.Status
	}{{
		name:   "every stage, in lifecycle order",
		want:   []string{"lint pass", "install pass", "upgrade skip", "backup skip", "restore skip", "custom skip", "teardown pass"},
		calls:  slices.Concat(deployed, tornDown),
		status: results.Pass,
	}, {
		name:  "stages named out of order run in lifecycle order; restore brings backup",
		opts:  Options{Stages: []string{"restore", "install"}},
		want:  []string{"install pass", "backup skip", "restore skip", "teardown pass"},
		calls: slices.Concat(deployed, tornDown), status: results.Pass,
	}, {
		name:    "a failed install stops the stages after it, and teardown runs",
		on:      map[string]func(context.Context) error{"Converge": fails(boom)},
		want:    []string{"lint pass", "install fail", "upgrade skip", "backup skip", "restore skip", "custom skip", "teardown pass"},
		reasons: map[string]string{"install": "converge: boom", "upgrade": "not run: install failed", "custom": "not run: install failed"},
		calls:   slices.Concat(deployed, tornDown), status: results.Fail,
	}, {
		name:    "a failed deploy is torn down too",
		opts:    Options{Stages: []string{"install"}},
		on:      map[string]func(context.Context) error{"Deploy": fails(boom)},
		want:    []string{"install fail", "teardown pass"},
		reasons: map[string]string{"install": "deploy: boom"},
		calls:   slices.Concat([]string{"Connect", "Objects", "Deploy"}, tornDown), status: results.Fail,
	}, {
		name:    "a lint error fails lint and the run, but not the stages after it",
		recipe:  lintFailing,
		opts:    Options{Stages: []string{"lint", "install"}},
		want:    []string{"lint fail", "install pass", "teardown pass"},
		reasons: map[string]string{"lint": "env-type-domain"},
		calls:   slices.Concat(deployed, tornDown), status: results.Fail,
	}, {
		name:    "a panic in a stage fails it, and teardown still runs",
		on:      map[string]func(context.Context) error{"Converge": func(context.Context) error { panic("boom") }},
		opts:    Options{Stages: []string{"install", "custom"}},
		want:    []string{"install fail", "custom skip", "teardown pass"},
		reasons: map[string]string{"install": "panic in stage install: boom", "custom": "not run: install failed"},
		calls:   slices.Concat(deployed, tornDown), status: results.Fail,
	}, {
		name:     "a cancellation mid-stage stops the run, and teardown still runs, under a live context",
		opts:     Options{Stages: []string{"install", "custom"}},
		cancelAt: "Converge",
		want:     []string{"install fail", "custom skip", "teardown pass"},
		reasons:  map[string]string{"install": "context canceled", "custom": "not run: cancelled"},
		calls:    slices.Concat(deployed, tornDown), status: results.Fail,
	}, {
		name:     "the run's deadline in a slow step names the stage, and teardown still runs",
		opts:     Options{Stages: []string{"install", "custom"}, Limits: Limits{Deadline: 200 * time.Millisecond}},
		cancelAt: "deadline:Converge",
		want:     []string{"install fail", "custom skip", "teardown pass"},
		reasons:  map[string]string{"install": "deadline", "custom": "during install"},
		calls:    slices.Concat(deployed, tornDown), status: results.Fail,
	}, {
		name:    "--retain keeps a failed deployment: nothing is removed",
		opts:    Options{Stages: []string{"install"}, Deploy: Deploy{Retain: true}},
		on:      map[string]func(context.Context) error{"Converge": fails(boom)},
		want:    []string{"install fail", "teardown skip"},
		reasons: map[string]string{"teardown": "retained for debugging"},
		calls:   slices.Concat(deployed, []string{"Close"}), status: results.Fail,
	}, {
		name:  "--retain removes a deployment that passed",
		opts:  Options{Stages: []string{"install"}, Deploy: Deploy{Retain: true}},
		want:  []string{"install pass", "teardown pass"},
		calls: slices.Concat(deployed, tornDown), status: results.Pass,
	}, {
		name:    "residue fails teardown and the run, naming what is left",
		opts:    Options{Stages: []string{"install"}},
		residue: []swarm.Resource{{Kind: "volume", Name: "leftover_data"}},
		want:    []string{"install pass", "teardown fail"},
		reasons: map[string]string{"teardown": "left behind after teardown: volume leftover_data"},
		calls:   slices.Concat(deployed, tornDown), status: results.Fail,
	}, {
		name:    "a failed removal fails teardown",
		opts:    Options{Stages: []string{"install"}},
		on:      map[string]func(context.Context) error{"Remove": fails(boom)},
		want:    []string{"install pass", "teardown fail"},
		reasons: map[string]string{"teardown": "boom"},
		calls:   slices.Concat(deployed, tornDown), status: results.Fail,
	}, {
		name:   "lint alone opens no engine",
		opts:   Options{Stages: []string{"lint"}},
		want:   []string{"lint pass", "teardown pass"},
		status: results.Pass,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &fakeEngine{on: map[string]func(context.Context) error{}, residue: tc.residue}
			for k, v := range tc.on {
				f.on[k] = v
			}
			// Teardown must never run under a done context.
			remove := f.on["Remove"]
			f.on["Remove"] = func(ctx context.Context) error {
				if ctx.Err() != nil {
					t.Errorf("Remove under a done context: %v", ctx.Err())
				}
				if remove != nil {
					return remove(ctx)
				}
				return nil
			}
			switch call, deadline := strings.CutPrefix(tc.cancelAt, "deadline:"); {
			case deadline: // the step outlasts the run's deadline
				f.on[call] = func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
			case call != "":
				f.on[call] = func(ctx context.Context) error { cancel(); <-ctx.Done(); return ctx.Err() }
			}
			res, progress, err := runFake(ctx, t, f, tc.recipe, tc.opts, app)
			if err != nil {
				t.Fatalf("Execute: %v\n%s", err, progress)
			}
			var got []string
			for _, st := range res.Stages {
				got = append(got, st.Name+" "+string(st.Status))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("stages %q, want %q\n%s", got, tc.want, progress)
			}
			for name, want := range tc.reasons {
				if st, ok := res.Stage(name); !ok || !strings.Contains(st.Reason, want) {
					t.Errorf("stage %s: reason %q, want it to say %q", name, st.Reason, want)
				}
			}
			if calls := f.Calls(); !slices.Equal(calls, tc.calls) {
				t.Errorf("engine calls %q, want %q", calls, tc.calls)
			}
			if res.Status != tc.status {
				t.Errorf("status %s, want %s", res.Status, tc.status)
			}
			if left := f.leases.Names(); len(left) > 0 {
				t.Errorf("leases left: %q", left)
			}
			if len(tc.residue) > 0 && !slices.Contains(res.Residue, tc.residue[0].String()) {
				t.Errorf("residue %q, want %s", res.Residue, tc.residue[0])
			}
		})
	}
}

// A failed connection is bad input of the environment: nothing runs, and
// no stage is reported.
func TestPipelineConnectFails(t *testing.T) {
	f := &fakeEngine{on: map[string]func(context.Context) error{"Connect": func(context.Context) error { return errors.New("no swarm here") }}}
	res, _, err := runFake(context.Background(), t, f, nil, Options{Stages: []string{"install"}}, serveApp(t))
	var pe *PlanError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "no swarm here") {
		t.Fatalf("err = %v", err)
	}
	if len(res.Stages) != 0 || !slices.Equal(f.Calls(), []string{"Connect"}) {
		t.Errorf("stages %+v calls %q", res.Stages, f.Calls())
	}
}

// A panic outside any stage (a bug of ours) still gets its teardown, then
// fails the run with an internal error.
func TestPipelinePanicOutsideStage(t *testing.T) {
	f := &fakeEngine{}
	res, progress, err := runFake(context.Background(), t, f, nil, Options{Stages: []string{"install", "custom"}}, serveApp(t),
		func(context.Context, string, *Run) { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "internal error: panic: boom") || res.Status != results.Fail {
		t.Fatalf("err = %v, status %s\n%s", err, res.Status, progress)
	}
	var got []string
	for _, st := range res.Stages {
		got = append(got, st.Name+" "+string(st.Status))
	}
	if want := []string{"install pass", "teardown pass"}; !slices.Equal(got, want) {
		t.Errorf("stages %q, want %q", got, want)
	}
	if want := []string{"Connect", "Objects", "Deploy", "Converge", "Remove", "Inventory", "Close"}; !slices.Equal(f.Calls(), want) {
		t.Errorf("engine calls %q, want %q", f.Calls(), want)
	}
}

// runFake executes a run against f, its app served by app, observed by
// observe (if any).
func runFake(ctx context.Context, t *testing.T, f *fakeEngine, recipe func(*testing.T) string, opts Options, app string, observe ...stageObserver) (*results.Run, string, error) {
	t.Helper()
	opts.Source.Recipe = fixture(t, "example")
	if recipe != nil {
		opts.Source.Recipe = recipe(t)
	}
	opts.Deploy.Connect = f.connector()
	opts.Ingress.Kind, opts.Ingress.Traefik.ConnectTo, opts.Ingress.Traefik.Insecure = "traefik", app, true
	opts.Deploy.Env = append(opts.Deploy.Env, "ENABLE_BACKUPS=false", "TIMEOUT=5")
	opts.Ingress.DomainSuffix, opts.Output.Dir, opts.Janitor.LockDir, opts.Source.RecipesDir, opts.Output.WorkDir = suffix, t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	var progress bytes.Buffer
	opts.Output.Progress = &syncWriter{w: &progress}
	var obs stageObserver
	if len(observe) > 0 {
		obs = observe[0]
	}
	res, err := executeObserved(ctx, opts, obs)
	return res, progress.String(), err
}

// serveApp serves the app's readiness probe over TLS, as Traefik would in
// front of it, and returns its address.
func serveApp(t *testing.T) string {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).String()
}

// lintFailing is the example recipe without the TYPE its .env.sample must
// set: a lint error, not a deploy error.
func lintFailing(t *testing.T) string {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture(t, "example"))); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(dir, ".env.sample")
	b, err := os.ReadFile(env)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env, []byte(strings.Replace(string(b), "TYPE=example\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Every stage of the lifecycle has what runs it, under its own name.
func TestEveryStageImplemented(t *testing.T) {
	for _, name := range lifecycle.Names() {
		if got := implementation(name).Name(); got != name {
			t.Errorf("stage %s runs as %s", name, got)
		}
	}
}
