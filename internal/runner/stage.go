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
// panics and skip/fail classification wrap it from outside (runStage).
type Stage interface {
	Name() string
	Run(ctx context.Context, r *Run) error
}

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

// runStage runs one stage with the middleware every stage shares: progress
// lines at start and end, its output captured (redacted) for the reports,
// a panic turned into a failure, and the error classified.
func (r *Run) runStage(ctx context.Context, st Stage) results.Stage {
	if r.Opts.OnStage != nil {
		r.Opts.OnStage(st.Name(), nil)
	}
	capture := &tailBuffer{max: r.Opts.MaxOutput}
	r.stageOut = io.MultiWriter(prefixWriter(r.progress, "["+st.Name()+"] "), capture)
	r.Logf("start")
	start := time.Now()
	err := safeRun(ctx, st, r)
	res := results.Stage{Name: st.Name(), DurationS: time.Since(start).Seconds(), Note: r.Redact.String(r.note)}
	r.note = ""
	res.Tests, r.tests = r.tests, nil
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
	// The release the stage ran, as the report shows it: what is deployed
	// when it ends (and, for the upgrade, what it started from). Only a
	// stage that deploys runs a release (not lint, which reads files, nor
	// teardown, which removes), and not when it skipped.
	if desc, _ := lifecycle.Lookup(st.Name()); desc.Deploys && res.Status != results.Skip {
		res.Release = r.releaseOf(r.Deployed)
		if st.Name() == StageUpgrade {
			res.From = r.upgrade.version
		}
	}
	r.Logf("%s (%.1fs)", res.Status, res.DurationS)
	res.Output = r.Redact.String(tail(capture.String(), r.Opts.MaxOutput))
	r.stageOut = prefixWriter(r.progress, "")
	if r.Opts.OnStage != nil {
		r.Opts.OnStage(st.Name(), &res)
	}
	return res
}

func safeRun(ctx context.Context, st Stage, r *Run) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in stage %s: %v\n%s", st.Name(), p, debug.Stack())
		}
	}()
	return st.Run(ctx, r)
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
