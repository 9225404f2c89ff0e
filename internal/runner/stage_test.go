package runner

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// stageFunc is a Stage made of a function, for the middleware's tests.
type stageFunc struct {
	name string
	run  func(ctx context.Context, r *Run, rec *Record) error
}

func (s stageFunc) Name() string { return s.name }
func (s stageFunc) Run(ctx context.Context, r *Run, rec *Record) error {
	return s.run(ctx, r, rec)
}

// bareRun is the least of a Run the middleware needs: progress into out,
// "hunter2" masked.
func bareRun(out *bytes.Buffer) *Run {
	red := &redact.Redactor{}
	red.Add("hunter2")
	r := &Run{Redact: red, Result: &results.Run{}, progress: red.Writer(out)}
	r.stageOut = r.progress
	r.cfg.limits.MaxOutput = DefaultMaxOutput
	return r
}

func TestClassified(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status results.Status
		reason string
	}{
		{"pass", nil, results.Pass, ""},
		{"skip", Skip("nothing for %s", "hunter2"), results.Skip, "nothing for ***"},
		{"fail", errors.New("broke with hunter2"), results.Fail, "broke with ***"},
		{"wrapped skip", errors.Join(Skip("inner")), results.Skip, "inner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bareRun(new(bytes.Buffer))
			res := classified("x", func(_ context.Context, r *Run, rec *Record) error {
				rec.Note("noted %s", "hunter2")
				rec.Add(results.Test{Name: "t1", Status: results.Pass})
				return tc.err
			})(context.Background(), r)
			if res.Name != "x" || res.Status != tc.status || res.Reason != tc.reason {
				t.Errorf("got %s %s %q, want %s %q", res.Name, res.Status, res.Reason, tc.status, tc.reason)
			}
			if res.Note != "noted ***" || len(res.Tests) != 1 {
				t.Errorf("note %q tests %v", res.Note, res.Tests)
			}
		})
	}
}

func TestRecovered(t *testing.T) {
	err := recovered(stageFunc{"x", func(context.Context, *Run, *Record) error { panic("boom") }})(context.Background(), bareRun(new(bytes.Buffer)), &Record{})
	if err == nil || !strings.HasPrefix(err.Error(), "panic in stage x: boom\n") || !strings.Contains(err.Error(), "goroutine") {
		t.Errorf("err = %v", err)
	}
	want := errors.New("plain")
	if err := recovered(stageFunc{"x", func(context.Context, *Run, *Record) error { return want }})(context.Background(), nil, &Record{}); err != want {
		t.Errorf("err = %v, want the stage's own", err)
	}
}

func TestTimed(t *testing.T) {
	res := timed(func(context.Context, *Run) results.Stage {
		time.Sleep(20 * time.Millisecond)
		return results.Stage{Name: "x"}
	})(context.Background(), nil)
	if res.DurationS < 0.02 || res.DurationS > 5 {
		t.Errorf("duration %v", res.DurationS)
	}
}

func TestCaptured(t *testing.T) {
	var out bytes.Buffer
	r := bareRun(&out)
	res := captured("x", func(_ context.Context, r *Run) results.Stage {
		r.Logf("working with hunter2")
		return results.Stage{Name: "x", Status: results.Pass, DurationS: 1.25}
	})(context.Background(), r)
	for _, w := range []string{"[x] start\n", "[x] working with ***\n", "[x] pass (1.2s)\n"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("progress lacks %q:\n%s", w, out.String())
		}
	}
	if res.Output != "start\nworking with ***\npass (1.2s)\n" {
		t.Errorf("output %q", res.Output)
	}
	r.Logf("after")
	if !strings.HasSuffix(out.String(), "\nafter\n") {
		t.Errorf("a line after the stage is still prefixed:\n%s", out.String())
	}
}

func TestAnnounced(t *testing.T) {
	r := bareRun(new(bytes.Buffer))
	var seen []string
	r.cfg.hooks.OnStage = func(name string, res *results.Stage) {
		if res == nil {
			seen = append(seen, "start "+name)
		} else {
			seen = append(seen, "end "+name+" "+string(res.Status))
		}
	}
	announced("x", func(context.Context, *Run) results.Stage {
		seen = append(seen, "run")
		return results.Stage{Name: "x", Status: results.Fail}
	})(context.Background(), r)
	if strings.Join(seen, ", ") != "start x, run, end x fail" {
		t.Errorf("seen %q", seen)
	}
}

// The release is recorded for a stage that deploys and did not skip.
func TestReleased(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status results.Status
		want   string
	}{
		{StageInstall, results.Pass, "1.0.0"},
		{StageInstall, results.Fail, "1.0.0"},
		{StageInstall, results.Skip, ""},
		{StageLint, results.Pass, ""},
		{StageTeardown, results.Pass, ""},
	} {
		r := bareRun(new(bytes.Buffer))
		r.Result.Version = "1.0.0"
		r.App = &recipe.App{}
		r.Deployed = r.App
		res := released(tc.name, func(context.Context, *Run) results.Stage {
			return results.Stage{Name: tc.name, Status: tc.status}
		})(context.Background(), r)
		if res.Release != tc.want {
			t.Errorf("%s %s: release %q, want %q", tc.name, tc.status, res.Release, tc.want)
		}
	}
}

func TestUnlessStopped(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		failed string
		want   string // "" = the stage ran
	}{
		{"runs", context.Background(), "", ""},
		{"after a failure", context.Background(), "install", "not run: install failed"},
		{"cancelled", cancelled, "", "not run: cancelled"},
		{"cancelled wins", cancelled, "install", "not run: cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran := false
			res := unlessStopped("custom", tc.failed, func(context.Context, *Run) results.Stage {
				ran = true
				return results.Stage{Name: "custom", Status: results.Pass}
			})(tc.ctx, bareRun(new(bytes.Buffer)))
			switch {
			case tc.want == "" && (!ran || res.Status != results.Pass):
				t.Errorf("the stage did not run: %+v", res)
			case tc.want != "" && (ran || res.Status != results.Skip || res.Reason != tc.want || res.Name != "custom"):
				t.Errorf("ran %v, result %+v, want skipped: %s", ran, res, tc.want)
			}
		})
	}
}
