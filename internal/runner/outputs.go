package runner

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/cc-ci/recipe-test/v2/internal/outdir"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// The files and folders a run writes in its output folder.
const (
	ResultsFile = "results.json"
	JUnitFile   = "junit.xml"
	ReportFile  = "report.md"
	CustomDir   = "custom" // the recipe tests' own outputs (screenshots)
)

// openOut opens the output folder and clears what an earlier run, or the
// checkout, left under the names of the run's reports: they are its own,
// and nothing planted there (a symlink to a runner file) is followed. The
// backup and custom stages make their folders real ones (outdir.Mkdir)
// and replace each file they write; an operator's folder of that name is
// not removed.
func openOut(dir string) (*outdir.Dir, error) {
	out, err := outdir.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := out.Clear(ResultsFile, JUnitFile, ReportFile); err != nil {
		out.Close()
		return nil, err
	}
	return out, nil
}

// writeOutputs renders the (already masked) results into the output folder.
func (r *Run) writeOutputs() error {
	for _, o := range []struct {
		name   string
		render func(io.Writer, *results.Run) error
	}{{ResultsFile, report.JSON}, {JUnitFile, report.JUnit}, {ReportFile, report.Markdown}} {
		path := filepath.Join(r.Out.Path(), o.name)
		f, err := r.Out.Create(o.name, 0o644)
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		// The results are masked already (Execute): masking the encoded
		// file could cut through its syntax.
		err = o.render(f, r.Result)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}
