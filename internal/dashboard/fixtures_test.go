package dashboard

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// day0 is the first night of the fixtures' history.
var day0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

// ladder are the stages in lifecycle order; a run passes the first n.
var ladder = []string{"install", "upgrade", "backup", "restore", "custom", "lint"}

// fixture is a run of recipe on night day that passed stages up to level
// (install for L1 ... lint for L5); with failed, the next stage failed
// with output.
func fixture(recipe string, day, level int, failed bool, output string) *results.Run {
	run := &results.Run{Recipe: recipe, Version: "1.2.0+3.1", Domain: "exam-c0ffee.ci.test", Stack: "exam-c0ffee_ci_test",
		RunID: fmt.Sprintf("%s-%d", recipe, day), Started: day0.Add(time.Duration(day) * 24 * time.Hour), DurationS: 312.5,
		Residue: []string{}, RunURL: fmt.Sprintf("https://ci.example/runs/%d", day), ToolVersion: "v2.3.0",
		Deployer: "swarm", Ingress: "direct", Status: results.Pass}
	passes := map[int]int{1: 1, 2: 2, 3: 4, 4: 5, 5: 6}[level]
	for i, name := range ladder {
		switch {
		case i < passes:
			run.Stages = append(run.Stages, results.Stage{Name: name, Status: results.Pass, DurationS: 10, Release: run.Version})
		case i == passes && failed:
			run.Stages = append(run.Stages, results.Stage{Name: name, Status: results.Fail, DurationS: 3, Reason: name + " broke", Output: output})
			run.Status = results.Fail
		}
	}
	run.ComputeLadder(nil)
	return run
}

// save writes run as dir/rel/results.json, as a run's artifact holds it.
func save(t *testing.T, dir, rel string, run *results.Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.JSON(&b, run); err != nil {
		t.Fatal(err)
	}
	return saveBytes(t, dir, rel, b.Bytes())
}

func saveBytes(t *testing.T, dir, rel string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, rel, ResultsFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
