// Package dashboard builds a static site from many runs' results.json: a
// table of recipes with the level and verdict of their last run, a page per
// recipe with its history (a small level chart and a table) and its last
// report, and an SVG level badge per recipe. Every link is relative, so
// the site works under any sub-path (GitHub or Gitea Pages).
package dashboard

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// ResultsFile is the name of the files Load looks for.
const ResultsFile = "results.json"

// maxResultsSize bounds one results.json read: the model keeps only output
// tails, so anything bigger is not one.
const maxResultsSize = 64 << 20

// Entry is one run and where it was read.
type Entry struct {
	Source string // the file, or REPO:REF:PATH for one read from git
	Run    *results.Run
}

// Problem is a results.json that could not be used, and why.
type Problem struct {
	Source string
	Err    error
}

func (p Problem) Error() string { return p.Source + ": " + p.Err.Error() }

// Loaded is what the sources held: the runs, and the files skipped. Only
// each recipe's newest run keeps its stages' and tests' output (the site
// shows the last report alone): a long history would otherwise hold every
// night's logs in memory.
type Loaded struct {
	Entries  []Entry
	Problems []Problem

	newest map[string]*results.Run // by recipe, the one run with output
}

func (l *Loaded) add(source string, data []byte) {
	run, err := parse(data)
	if err != nil {
		l.Problems = append(l.Problems, Problem{source, err})
		return
	}
	if l.newest == nil {
		l.newest = map[string]*results.Run{}
	}
	switch cur := l.newest[Name(run)]; {
	case cur == nil:
		l.newest[Name(run)] = run
	case run.Started.After(cur.Started):
		dropOutput(cur)
		l.newest[Name(run)] = run
	default:
		dropOutput(run)
	}
	l.Entries = append(l.Entries, Entry{source, run})
}

// dropOutput empties the captured output of a run's stages and tests, its
// dependencies' included.
func dropOutput(run *results.Run) {
	drop := func(stages []results.Stage) {
		for i := range stages {
			stages[i].Output = ""
			for j := range stages[i].Tests {
				stages[i].Tests[j].Output = ""
			}
		}
	}
	drop(run.Stages)
	for i := range run.Dependencies {
		drop(run.Dependencies[i].Stages)
	}
}

// LoadDir reads every results.json under dir (a folder of downloaded
// artifacts, or a checkout of a history). A file that cannot be read or is
// not a run is a Problem, and the walk goes on; only a dir that cannot be
// walked at all is an error.
func LoadDir(ctx context.Context, dir string, into *Loaded) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("results folder: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("results folder %s is not a folder", dir)
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			if path == dir {
				return fmt.Errorf("results folder: %w", err)
			}
			into.Problems = append(into.Problems, Problem{path, err})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir() && d.Name() == ".git":
			return fs.SkipDir
		case d.IsDir() || d.Name() != ResultsFile:
			return nil
		}
		data, err := readLimited(path)
		if err != nil {
			into.Problems = append(into.Problems, Problem{path, err})
			return nil
		}
		into.add(path, data)
		return nil
	})
}

// readLimited reads a regular file of at most maxResultsSize: a FIFO
// named results.json would block the walk, a huge file fill the memory.
func readLimited(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	if st.Size() > maxResultsSize {
		return nil, fmt.Errorf("%d bytes: larger than any results.json (%d at most)", st.Size(), maxResultsSize)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxResultsSize+1))
}

// parse reads one results.json. JSON that is not a run (no recipe, no
// start time, an unknown status) is refused: it would show as a recipe
// nobody ran.
func parse(data []byte) (*results.Run, error) {
	var run results.Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("not a results.json: %w", err)
	}
	switch {
	case Name(&run) == "":
		return nil, errors.New("not a results.json: it names no recipe")
	case run.Started.IsZero():
		return nil, errors.New("not a results.json: no start time (started)")
	case run.Status != results.Pass && run.Status != results.Fail && run.Status != results.Skip:
		return nil, fmt.Errorf("not a results.json: status %q is not pass, fail or skip", run.Status)
	case run.Level < 0 || run.Level > results.MaxLevel:
		return nil, fmt.Errorf("not a results.json: level %d is outside 0..%d", run.Level, results.MaxLevel)
	}
	return &run, nil
}

// Name is the recipe a run tested: its name, else where it came from (a
// run that could not start may know only that).
func Name(run *results.Run) string { return cmp.Or(run.Recipe, run.Location) }

// Recipe is one recipe's runs, oldest first.
type Recipe struct {
	Name string
	Slug string // its file name in the site (see Slug)
	Runs []Entry
}

// Last is the recipe's newest run.
func (r *Recipe) Last() Entry { return r.Runs[len(r.Runs)-1] }

// Group sorts the runs by recipe (by name) and time (oldest first). The
// same run found twice (an artifact also kept in the history) counts once:
// the first source read is kept.
func Group(entries []Entry) []*Recipe {
	type key struct{ recipe, id string }
	seen := map[key]bool{}
	by := map[string]*Recipe{}
	for _, e := range entries {
		name := Name(e.Run)
		k := key{name, e.Run.RunID + "@" + e.Run.Started.String()}
		if seen[k] {
			continue
		}
		seen[k] = true
		r := by[name]
		if r == nil {
			r = &Recipe{Name: name, Slug: Slug(name)}
			by[name] = r
		}
		r.Runs = append(r.Runs, e)
	}
	out := make([]*Recipe, 0, len(by))
	for _, r := range by {
		slices.SortStableFunc(r.Runs, func(a, b Entry) int { return a.Run.Started.Compare(b.Run.Started) })
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Recipe) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
