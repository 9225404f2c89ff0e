package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/gtr"
	"github.com/jstemmer/go-junit-report/v2/parser/gotest"

	"github.com/ulikunitz/xz"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/facts"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// DefaultCustomTimeout bounds the recipe's own tests without
// timeouts.custom in recipe.toml.
const DefaultCustomTimeout = 10 * time.Minute

// custom runs the enrolled recipe's own Go tests (recipes/<name>/*_test.go)
// against the deployed app: a precompiled test binary when there is one
// (<name>.test beside recipe.toml, as in the action image), else `go test
// -json`. It hands them the run's facts through $RECIPE_TEST_FACTS and
// turns their output into one test case per test with go-junit-report's
// parser. A skipped test shows as skipped with its reason and keeps the
// stage from passing: no test passes by skipping.
type custom struct{}

func (custom) Name() string { return StageCustom }

func (custom) Run(ctx context.Context, r *Run, rec *Record) error {
	e := r.Enrollment
	if e == nil {
		return Skip("recipe %s is not enrolled: no recipes/%s/recipe.toml with tests", r.Recipe.Name, r.Recipe.Name)
	}
	names, err := e.TestNames()
	if err != nil {
		return err
	}
	// Absolute: the tests run in the enrollment folder, against which a
	// relative path (a relative recipes folder) would be read again.
	bin, err := filepath.Abs(filepath.Join(e.Dir, r.Recipe.Name+".test"))
	if err != nil {
		return err
	}
	_, binErr := os.Stat(bin)
	packed := ""
	if binErr != nil {
		// The action image keeps each recipe's test binary compressed
		// with xz (under a third of its size): unpacked below, into the
		// run's folder.
		if _, err := os.Stat(bin + ".xz"); err == nil {
			packed, binErr = bin+".xz", nil
		}
	}
	if len(names) == 0 && binErr != nil {
		return Skip("%s has no Go tests (*_test.go)", e.Dir)
	}
	if err := r.ensureHead(ctx, rec); err != nil {
		return err
	}
	// A real folder of ours in the output folder (see outdir): the
	// tests' screenshots land there.
	out, err := r.Out.Mkdir(CustomDir)
	if err != nil {
		return err
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	factsFile := filepath.Join(r.cfg.output.WorkDir, "facts.json")
	// Whatever is at the facts path goes first: the facts hold the run's
	// secrets, and a symlink there would carry them elsewhere.
	if err := os.Remove(factsFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("facts file: %w", err)
	}
	maskFile, err := r.newMaskFile()
	if err != nil {
		return err
	}
	defer os.Remove(maskFile)
	f := r.facts(out)
	f.MaskFile = maskFile
	if err := facts.Write(factsFile, f); err != nil {
		return fmt.Errorf("write the run's facts: %w", err)
	}
	defer os.Remove(factsFile)

	timeout := e.CustomTimeout()
	if timeout == 0 {
		timeout = DefaultCustomTimeout
	}
	tctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	var parse func(io.Reader) (gtr.Report, error)
	if packed != "" {
		if bin, err = unpackTests(packed, filepath.Join(r.cfg.output.WorkDir, r.Recipe.Name+".test")); err != nil {
			return err
		}
		defer os.Remove(bin)
	}
	if binErr == nil {
		r.Logf("running the precompiled tests %s", bin)
		cmd = exec.CommandContext(tctx, bin, "-test.v", "-test.count=1", "-test.timeout="+timeout.String())
		parse = gotest.NewParser().Parse
	} else {
		goBin, err := exec.LookPath("go")
		if err != nil {
			return fmt.Errorf("no precompiled %s and no Go toolchain to run the tests of %s from source", bin, e.Dir)
		}
		r.Logf("running go test -json in %s", e.Dir)
		cmd = exec.CommandContext(tctx, goBin, "test", "-json", "-count=1", "-timeout="+timeout.String(), ".")
		parse = gotest.NewJSONParser().Parse
	}
	cmd.Dir = e.Dir
	cmd.Env = append(os.Environ(), facts.EnvVar+"="+factsFile)
	// The tests print what the app returns: bounded, like every capture.
	stdout := &cappedBuffer{max: maxTestOutput}
	stderr := &tailBuffer{max: r.cfg.limits.MaxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 10 * time.Second
	started := time.Now()
	runErr := cmd.Run()
	// What they saved of the app, for the report: listed whatever the
	// tests' outcome (a failing page is worth a look too).
	if rec.Screenshots, err = savedScreenshots(out, CustomDir, started); err != nil {
		r.Logf("listing the tests' screenshots: %v", err)
	}
	// The credentials the tests generated are masked before any of their
	// output is kept. They come from the mask file, never from the output:
	// see facts.Facts.MaskFile.
	if err := r.takeMasks(maskFile); err != nil {
		return err
	}
	if stdout.dropped > 0 {
		return fmt.Errorf("the recipe's tests printed more than %d MiB: their results are not read", maxTestOutput>>20)
	}
	output := stdout.String()
	report, err := parse(strings.NewReader(output))
	if err != nil {
		return fmt.Errorf("read the test output: %w", err)
	}
	r.Logf("%s", r.Redact.String(strings.TrimSpace(stderr.String())))
	return r.recordTests(rec, report, runErr, output)
}

// recordTests turns the parsed report into the stage's test cases and its
// outcome.
func (r *Run) recordTests(rec *Record, report gtr.Report, runErr error, output string) error {
	var failed, skipped []string
	passed := 0
	for _, pkg := range report.Packages {
		if pkg.BuildError.Name != "" {
			return fmt.Errorf("the recipe's tests do not build: %s", r.Redact.String(strings.Join(pkg.BuildError.Output, "\n")))
		}
		for _, t := range pkg.Tests {
			out := r.Redact.String(tail(strings.Join(t.Output, "\n"), r.cfg.limits.MaxOutput))
			tc := results.Test{Name: t.Name, DurationS: t.Duration.Seconds(), Output: out}
			switch t.Result {
			case gtr.Pass:
				tc.Status = results.Pass
				passed++
			case gtr.Skip:
				tc.Status, tc.Reason = results.Skip, excerpt.LastLine(out)
				skipped = append(skipped, t.Name)
			default:
				tc.Status, tc.Reason = results.Fail, excerpt.FirstLines(out, 5)
				failed = append(failed, t.Name)
			}
			rec.Add(tc)
			r.Logf("%s %s (%.1fs)", tc.Status, t.Name, t.Duration.Seconds())
		}
		if pkg.RunError.Name != "" && len(failed) == 0 {
			failed = append(failed, "the test binary: "+strings.Join(pkg.RunError.Output, " "))
		}
	}
	switch {
	case len(failed) > 0:
		return fmt.Errorf("%d of %d recipe tests failed: %s", len(failed), len(rec.Tests), strings.Join(failed, ", "))
	case runErr != nil && passed == 0:
		return fmt.Errorf("the recipe's tests did not run: %v: %s", runErr, r.Redact.String(excerpt.LastLine(output)))
	case runErr != nil && !errors.As(runErr, new(*exec.ExitError)):
		return fmt.Errorf("running the recipe's tests: %w", runErr)
	case len(skipped) > 0:
		return Skip("%d recipe tests skipped (a skipped test never counts as passed): %s", len(skipped), strings.Join(skipped, ", "))
	case passed == 0:
		return Skip("no recipe test ran")
	}
	rec.Note("%d recipe tests passed", passed)
	return nil
}

// facts are what the recipe's tests get to know about the run.
func (r *Run) facts(out string) *facts.Facts {
	app := r.App
	f := &facts.Facts{Recipe: r.Recipe.Name, Version: app.Version, Domain: app.Domain, Stack: app.Stack,
		Services: map[string]string{}, Secrets: map[string]string{}, Env: app.Env, Out: out,
		Insecure: r.cfg.ingress.Traefik.Insecure, ExecTimeoutS: int(r.cfg.limits.ExecTimeout.Seconds()), MaxReadFile: r.cfg.limits.MaxReadFile}
	for _, s := range app.Services {
		f.Services[s.Name] = s.FullName
	}
	f.Dependencies = r.dependencyFacts()
	if h, ok := r.Engine.(nodeHoster); ok {
		f.Nodes = h.NodeHosts()
	}
	if r.Deployment != nil {
		for _, s := range app.Secrets {
			if v, ok := r.Deployment.Secrets[s.FullName]; ok {
				f.Secrets[s.Name] = v
			}
		}
	}
	if r.Ingress != nil {
		f.BaseURL, f.ProxyURL, f.BrowserFlags = r.Ingress.BaseURL(), r.Ingress.ProxyURL().String(), r.Ingress.BrowserFlags()
		f.Streams = streamFacts(r.Ingress)
	}
	return f
}

// nodeHoster is an engine that knows the Docker host URLs of a multi-node
// swarm's other nodes (swarm.Client), for the recipe's tests to exec there.
type nodeHoster interface {
	NodeHosts() map[string]string
}

// parityResults fills the results' parity table from the enrollment's
// rows, with this run's result of each ported test.
func (r *Run) parityResults() {
	if r.Enrollment == nil {
		return
	}
	st, ran := r.Result.Stage(StageCustom)
	for _, p := range r.Enrollment.Parity {
		feature := p.Upstream
		if p.Verifies != "" {
			feature = p.Verifies + " (" + p.Upstream + ")"
		}
		row := results.ParityRow{Feature: feature, Check: p.Test}
		switch p.Status {
		case enrollment.Ported:
			row.Check = "custom/" + p.Test
			row.Status = results.Skip
			row.Note = "not run"
			if ran {
				for _, t := range st.Tests {
					if t.Name == p.Test {
						row.Status, row.Note = t.Status, t.Reason
					}
				}
			}
		case enrollment.Deferred:
			row.Check, row.Note = "—", "deferred: "+p.Reason
		case enrollment.NotApplicable:
			row.Check, row.Note = "—", "not applicable: "+p.Reason
		case enrollment.Todo:
			row.Check, row.Status, row.Note = "—", results.Skip, "TODO: not ported yet"
		}
		r.Result.Parity = append(r.Result.Parity, row)
	}
}

// maxTestBinary bounds an unpacked test binary: a compressed file is
// small, and what it unpacks to must not fill the disk.
const maxTestBinary = 512 << 20

// unpackTests writes the xz-compressed test binary packed to dst,
// executable by its owner only, and returns dst.
func unpackTests(packed, dst string) (string, error) {
	in, err := os.Open(packed)
	if err != nil {
		return "", fmt.Errorf("precompiled tests: %w", err)
	}
	defer in.Close()
	zr, err := xz.NewReader(bufio.NewReaderSize(in, 1<<20))
	if err != nil {
		return "", fmt.Errorf("precompiled tests %s: %w", packed, err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return "", fmt.Errorf("precompiled tests: %w", err)
	}
	n, err := io.Copy(out, io.LimitReader(zr, maxTestBinary+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxTestBinary {
		err = fmt.Errorf("unpacks to more than %d MiB", maxTestBinary>>20)
	}
	if err != nil {
		os.Remove(dst)
		return "", fmt.Errorf("precompiled tests %s: %w", packed, err)
	}
	return dst, nil
}
