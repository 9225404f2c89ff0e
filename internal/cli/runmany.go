package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/cc-ci/recipe-test/v2/internal/exitcode"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

// recipeList is run's recipes: each --recipe, then the lines of
// --recipes-file.
type recipeList struct {
	names []string
	file  string
}

// list returns the recipes to run, in order. A list file holds one recipe
// a line (an enrolled name, a folder or a git URL, as --recipe takes);
// blank lines and lines starting with # are skipped.
func (l recipeList) list() ([]string, error) {
	out := append([]string(nil), l.names...)
	if l.file == "" {
		return out, nil
	}
	data, err := os.ReadFile(l.file)
	if err != nil {
		return nil, fmt.Errorf("--recipes-file: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if len(out) == len(l.names) {
		return nil, fmt.Errorf("--recipes-file %s: names no recipe (one a line; # starts a comment)", l.file)
	}
	return out, nil
}

// outcome is one recipe's run of several: the summary's row.
type outcome struct {
	Recipe      string         `json:"recipe"`         // as given
	Name        string         `json:"name,omitempty"` // the recipe's name, once planned
	Out         string         `json:"out"`            // its results folder
	Status      results.Status `json:"status"`
	Level       int            `json:"level"`
	ExitCode    int            `json:"exit_code"`
	DurationS   float64        `json:"duration_s"`
	BudgetWaitS float64        `json:"budget_wait_s"`
	Error       string         `json:"error,omitempty"`
}

// runMany runs several recipes at once, each in its own results folder
// under o.Output.Dir with its progress lines prefixed by that folder's
// name, within the run budget (--budget) like runs from separate jobs.
// It writes OUT/summary.json, prints the combined summary and exits with
// the worst of the runs' exit codes.
func runMany(ctx context.Context, o runner.Options, recipes []string, stderr io.Writer, runURL string) error {
	base := o.Output.Dir
	if base == "" {
		base = runner.DefaultOut
	}
	labels := folderNames(recipes)
	var mu sync.Mutex // one line at a time on stderr
	outcomes := make([]outcome, len(recipes))
	var wg sync.WaitGroup
	for i, rec := range recipes {
		oi := o
		oi.Source.Recipe = rec
		oi.Output.Dir = filepath.Join(base, labels[i])
		oi.Output.RunURL = runURL
		w := &linePrefixer{mu: &mu, w: stderr, prefix: labels[i] + ": "}
		oi.Output.Progress = w
		oi.Output.Log = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
		wg.Go(func() {
			res, err := runner.Execute(ctx, oi)
			w.Flush()
			outcomes[i] = outcomeOf(rec, oi.Output.Dir, res, err)
		})
	}
	wg.Wait()
	worst := exitOK
	for _, oc := range outcomes {
		worst = max(worst, oc.ExitCode)
	}
	werr := writeSummary(base, outcomes)
	printSummary(stderr, outcomes)
	switch {
	case worst == exitConfig:
		return usageError{errors.Join(fmt.Errorf("%s", failedNames(outcomes)), werr)}
	case worst != exitOK:
		return failedError{errors.Join(fmt.Errorf("%s", failedNames(outcomes)), werr)}
	case werr != nil:
		return werr
	}
	return nil
}

func outcomeOf(rec, out string, res *results.Run, err error) outcome {
	oc := outcome{Recipe: rec, Out: out, Status: results.Fail, ExitCode: exitFailed}
	if res != nil {
		oc.Name, oc.Status, oc.Level, oc.DurationS, oc.BudgetWaitS, oc.Error = res.Recipe, res.Status, res.Level, res.DurationS, res.BudgetWaitS, res.Error
	}
	switch {
	case err != nil:
		oc.ExitCode = exitcode.Of(err)
		if oc.ExitCode == exitOK {
			oc.ExitCode = exitFailed
		}
		if oc.Error == "" {
			oc.Error = err.Error()
		}
	case oc.Status == results.Pass:
		oc.ExitCode = exitOK
	}
	return oc
}

func failedNames(outcomes []outcome) string {
	var names []string
	for _, oc := range outcomes {
		if oc.ExitCode != exitOK {
			names = append(names, fmt.Sprintf("%s (exit %d)", oc.Recipe, oc.ExitCode))
		}
	}
	return fmt.Sprintf("%d of %d recipes failed: %s", len(names), len(outcomes), strings.Join(names, ", "))
}

func writeSummary(base string, outcomes []outcome) error {
	data, err := json.MarshalIndent(outcomes, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	if err := os.WriteFile(filepath.Join(base, "summary.json"), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	return nil
}

func printSummary(w io.Writer, outcomes []outcome) {
	for _, oc := range outcomes {
		name := oc.Name
		if name == "" {
			name = oc.Recipe
		}
		fmt.Fprintf(w, "recipe-test: %s: %s, level L%d of %d; results in %s\n",
			name, oc.Status, oc.Level, results.MaxLevel, filepath.Join(oc.Out, "results.json"))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "recipe\tstatus\tlevel\texit\ttook\twaited for budget\tresults")
	for _, oc := range outcomes {
		fmt.Fprintf(tw, "%s\t%s\tL%d\t%d\t%.1fs\t%.1fs\t%s\n", oc.Recipe, oc.Status, oc.Level, oc.ExitCode, oc.DurationS, oc.BudgetWaitS, oc.Out)
	}
	tw.Flush()
}

// folderNames gives each recipe a results folder name of its own: its
// last path element (a URL's without .git), then -2, -3 for repeats.
func folderNames(recipes []string) []string {
	taken := map[string]bool{}
	out := make([]string, len(recipes))
	for i, rec := range recipes {
		name := strings.TrimSuffix(path.Base(filepath.ToSlash(strings.TrimRight(rec, "/"))), ".git")
		if name == "" || name == "." || name == ".." || name == "/" {
			name = "recipe"
		}
		out[i] = name
		for n := 2; taken[out[i]]; n++ {
			out[i] = fmt.Sprintf("%s-%d", name, n)
		}
		taken[out[i]] = true
	}
	return out
}

// linePrefixer writes whole lines to w, each starting with prefix, one
// writer at a time: the progress of runs side by side stays readable.
type linePrefixer struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *linePrefixer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// Flush writes what is left of an unfinished line.
func (p *linePrefixer) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
		p.buf = nil
	}
}
