package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/lifecycle"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// A Stage is one step of the lifecycle. Timing, logging, output capture,
// panics and skip/fail classification wrap it from outside (runStage's
// middleware).
type Stage interface {
	Name() string
	// Run runs the stage on r; what it has to say beside its error
	// (notes, test cases) goes into rec, its own.
	Run(ctx context.Context, r *Run, rec *Record) error
}

// Record is what one stage keeps for its result beside its error: its
// notes and test cases. Each stage gets a fresh one from the middleware
// (classified), so nothing of a stage's result lives on the Run.
type Record struct {
	note  string
	Tests []results.Test
	// Screenshots are what the stage's tests saved of the app, relative
	// to the output folder (see results.Stage.Screenshots).
	Screenshots []string
}

// Note adds a note to the stage's result.
func (rec *Record) Note(format string, args ...any) {
	if rec.note != "" {
		rec.note += "; "
	}
	rec.note += fmt.Sprintf(format, args...)
}

// Add adds a test case to the stage's result.
func (rec *Record) Add(t results.Test) { rec.Tests = append(rec.Tests, t) }

// SkipError says a stage did not apply; it is not a failure.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a SkipError.
func Skip(format string, args ...any) error { return &SkipError{Reason: fmt.Sprintf(format, args...)} }

// IsSkip reports whether err is a SkipError.
func IsSkip(err error) (string, bool) {
	var se *SkipError
	if errors.As(err, &se) {
		return se.Reason, true
	}
	return "", false
}

// step runs a stage and returns its result. Each wrapper below adds one
// concern around a step, as goreleaser's middleware does around its pipes,
// so that no stage repeats them and each can be tested alone.
type step func(ctx context.Context, r *Run) results.Stage

// runStage runs one stage with the middleware every stage shares, from the
// outside in: the caller told as it starts and ends (announced), progress
// lines and the captured output (captured), timing (timed), the release it
// ran (released), the error classified as pass, skip or fail with the
// stage's note and tests (classified), and a panic turned into a failure
// (recovered).
func (r *Run) runStage(ctx context.Context, st Stage) results.Stage {
	name := st.Name()
	return announced(name, captured(name, timed(released(name, classified(name, recovered(st))))))(ctx, r)
}

// unlessStopped skips a stage, without running it, once the run stopped:
// ctx is done (cancelled, or past the run's deadline), or failed names a
// stage whose failure stops the ones after it (lifecycle's Stops).
func unlessStopped(name, failed string, next step) step {
	return func(ctx context.Context, r *Run) results.Stage {
		switch {
		case ctx.Err() != nil:
			return results.Stage{Name: name, Status: results.Skip, Reason: "not run: " + r.stopped(ctx)}
		case failed != "":
			return results.Stage{Name: name, Status: results.Skip, Reason: "not run: " + failed + " failed"}
		}
		return next(ctx, r)
	}
}

// announced calls OnStage as the stage starts (with no result) and ends.
func announced(name string, next step) step {
	return func(ctx context.Context, r *Run) results.Stage {
		if r.cfg.hooks.OnStage != nil {
			r.cfg.hooks.OnStage(name, nil)
		}
		res := next(ctx, r)
		if r.cfg.hooks.OnStage != nil {
			r.cfg.hooks.OnStage(name, &res)
		}
		return res
	}
}

// captured prefixes the stage's progress lines with its name, logs its
// start and end, and keeps the tail of its output (redacted) for the
// reports.
func captured(name string, next step) step {
	return func(ctx context.Context, r *Run) results.Stage {
		capture := &tailBuffer{max: r.cfg.limits.MaxOutput}
		r.stageOut = io.MultiWriter(prefixWriter(r.progress, "["+name+"] "), capture)
		r.Logf("start")
		res := next(ctx, r)
		r.Logf("%s (%.1fs)", res.Status, res.DurationS)
		res.Output = r.Redact.String(tail(capture.String(), r.cfg.limits.MaxOutput))
		r.stageOut = prefixWriter(r.progress, "")
		return res
	}
}

// timed measures the stage.
func timed(next step) step {
	return func(ctx context.Context, r *Run) results.Stage {
		start := time.Now()
		res := next(ctx, r)
		res.DurationS = time.Since(start).Seconds()
		return res
	}
}

// released records the release the stage ran, as the report shows it:
// what is deployed when it ends (and, for the upgrade, what it started
// from). Only a stage that deploys runs a release (not lint, which reads
// files, nor teardown, which removes), and not when it skipped.
func released(name string, next step) step {
	return func(ctx context.Context, r *Run) results.Stage {
		res := next(ctx, r)
		if desc, _ := lifecycle.Lookup(name); desc.Deploys && res.Status != results.Skip {
			res.Release = r.releaseOf(r.Deployed)
			if name == StageUpgrade {
				res.From = r.upgrade.version
			}
		}
		return res
	}
}

// classified turns the stage's error into its status and reason (a
// SkipError is a skip, not a failure), with the note and tests the stage
// recorded in its own Record.
func classified(name string, run func(context.Context, *Run, *Record) error) step {
	return func(ctx context.Context, r *Run) results.Stage {
		rec := &Record{}
		err := run(ctx, r, rec)
		res := results.Stage{Name: name, Note: r.Redact.String(rec.note), Tests: rec.Tests, Screenshots: rec.Screenshots}
		switch reason, skipped := IsSkip(err); {
		case err == nil:
			res.Status = results.Pass
		case skipped:
			res.Status, res.Reason = results.Skip, r.Redact.String(reason)
			r.Logf("skipped: %s", res.Reason)
		default:
			res.Status, res.Reason = results.Fail, r.Redact.String(err.Error())
			r.Logf("error: %s", res.Reason)
		}
		return res
	}
}

// recovered turns a panic of the stage into its error, with the stack.
func recovered(st Stage) func(context.Context, *Run, *Record) error {
	return func(ctx context.Context, r *Run, rec *Record) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic in stage %s: %v\n%s", st.Name(), p, debug.Stack())
			}
		}()
		return st.Run(ctx, r, rec)
	}
}

// tail keeps the last n bytes of s, cut at a line start; n 0 keeps s.
func tail(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "[...]\n" + s
}

// prefixWriter prefixes every line written to w. A "\r" ends a line too
// (as "\n"): a terminal or an Actions runner would start a new line
// there, which would then show without the prefix, and could, in an Actions
// log, pass for a line of recipe-test's own.
func prefixWriter(w io.Writer, prefix string) io.Writer {
	return &lineWriter{w: w, prefix: prefix}
}

type lineWriter struct {
	w      io.Writer
	prefix string
}

func (l *lineWriter) Write(p []byte) (int, error) {
	var b strings.Builder
	s := strings.ReplaceAll(strings.ReplaceAll(string(p), "\r\n", "\n"), "\r", "\n")
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString(l.prefix + line)
		}
	}
	if _, err := io.WriteString(l.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
