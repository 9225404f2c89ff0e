package runner

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// A shallow checkout whose releases cannot be fetched never hides the
// upgrade silently: the stage says why it was skipped and how to fix the
// workflow, and so do the run's warnings and the report.
func TestShallowCheckoutWarns(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary to make a shallow clone with")
	}
	upstream := testenv.TaggedRecipe(t, fixture(t, "upgrade"))
	dir := filepath.Join(t.TempDir(), "upgrade")
	// As actions/checkout does by default: one commit, no tags; the
	// origin then is gone (a private repository, say).
	for _, args := range [][]string{
		{"clone", "--quiet", "--depth", "1", "--no-tags", "file://" + upstream, dir},
		{"-C", dir, "remote", "set-url", "origin", "file://" + filepath.Join(t.TempDir(), "gone")},
	} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out := t.TempDir()
	res, progress := execute(t, Options{Source: Source{Recipe: dir}, Stages: []string{StageUpgrade}, Output: Output{Dir: out}})
	st, ok := res.Stage(StageUpgrade)
	if !ok || st.Status != results.Skip || !strings.Contains(st.Reason, "shallow clone") || !strings.Contains(st.Reason, "fetch-depth: 0") {
		t.Errorf("upgrade stage %+v\n%s", st, progress)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "fetch-depth: 0") {
		t.Errorf("warnings %q", res.Warnings)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil || !strings.Contains(string(md), "**Warning:** shallow clone") {
		t.Errorf("report.md lacks the warning (%v):\n%s", err, md)
	}
}
