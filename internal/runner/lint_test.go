package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/lint"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The lint stage alone deploys nothing: one stage test per rule, and the
// lint rung passes on the example, whose lower rungs stay unverified.
func TestLintStageOnly(t *testing.T) {
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "example")}, Stages: []string{StageLint}})
	st, ok := res.Stage(StageLint)
	if !ok || st.Status != results.Pass || len(st.Tests) != len(lint.Rules()) {
		t.Fatalf("lint stage %+v\n%s", st, progress)
	}
	if strings.Contains(progress, "deploy") {
		t.Errorf("a lint-only run deployed something:\n%s", progress)
	}
	tests := map[string]results.Test{}
	for _, tc := range st.Tests {
		tests[tc.Name] = tc
	}
	if tc := tests["R003 images-tagged"]; tc.Status != results.Pass {
		t.Errorf("R003 images-tagged: %+v", tc)
	}
	if tc := tests["R006 catalogue-version"]; tc.Status != results.Skip || !strings.Contains(tc.Reason, "needs the network") {
		t.Errorf("R006 catalogue-version: %+v", tc)
	}
	if tc := tests["ours version-label"]; tc.Status != results.Pass {
		t.Errorf("ours version-label: %+v", tc)
	}
	if len(res.Ladder) != 5 || res.Ladder[4].State != results.RungPassed || res.Level != 0 {
		t.Errorf("ladder %+v, level %d", res.Ladder, res.Level)
	}
}

// A lint error fails the lint stage and the run, names the rule and what
// broke it, and does not stop the lifecycle: install still runs.
func TestLintErrorDoesNotStopInstall(t *testing.T) {
	repo := t.TempDir()
	if err := os.CopyFS(repo, os.DirFS(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))); err != nil {
		t.Fatal(err)
	}
	r, head := testenv.CommitAll(t, repo, "example")
	if _, err := r.CreateTag("nightly", head, nil); err != nil {
		t.Fatal(err)
	}
	res, progress := execute(t, Options{Source: Source{Recipe: repo}, Stages: []string{StageLint, StageInstall}})
	lintSt, _ := res.Stage(StageLint)
	install, _ := res.Stage(StageInstall)
	if lintSt.Status != results.Fail || !strings.Contains(lintSt.Reason, "ours version-tags: tag nightly is not a version") ||
		!strings.Contains(lintSt.Reason, "R014 annotated-tags: tag nightly is a lightweight tag") {
		t.Errorf("lint stage %+v", lintSt)
	}
	if install.Status != results.Pass {
		t.Errorf("install after a lint error: %+v\n%s", install, progress)
	}
	if res.Status != results.Fail || res.Level != 1 || res.Ladder[4].State != results.RungFailed {
		t.Errorf("status %s, level %d, ladder %+v", res.Status, res.Level, res.Ladder)
	}
	var failed []string
	for _, tc := range lintSt.Tests {
		if tc.Status == results.Fail {
			failed = append(failed, tc.Name+": "+tc.Output)
		}
	}
	want := []string{"R014 annotated-tags: tag nightly is a lightweight tag\nfix: ", "ours version-tags: tag nightly is not a version\nfix: "}
	if len(failed) != 2 || !strings.HasPrefix(failed[0], want[0]) || !strings.HasPrefix(failed[1], want[1]) {
		t.Errorf("failed lint tests %q", failed)
	}
}
