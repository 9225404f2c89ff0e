package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
	"github.com/cc-ci/recipe-test/v2/internal/workflowcmd"
)

// hostileType is a recipe TYPE built to issue workflow commands wherever it
// is printed: after a "\n", after a "\r" (which a runner reads as a line
// end, past the "[stage]" prefix), and in the older "##[" syntax.
const hostileType = "example\n::add-mask::fail\r::error title=forged::forged error\n##[warning]forged warning\n::stop-commands::x"

// A recipe whose TYPE carries workflow commands, run by the action, prints
// it (progress lines, the stage's failure annotation, the notices, stderr)
// without the runner reading any command the recipe wrote: the only
// commands in the log are the action's own, and none masks "fail" or
// carries the forged messages as a command of its own.
func TestActionModeRecipeStringsIssueNoCommand(t *testing.T) {
	testenv.Swarm(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "recipe")
	if err := os.CopyFS(rec, os.DirFS(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))); err != nil {
		t.Fatal(err)
	}
	sample := filepath.Join(rec, ".env.sample")
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	quoted := `"` + strings.ReplaceAll(hostileType, "\n", `\n`) + `"` // \r stays raw: it has no escape
	data = []byte(strings.Replace(string(data), "TYPE=example", "TYPE="+quoted, 1))
	if err := os.WriteFile(sample, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": "", "INPUT_TOKEN": "",
		"INPUT_RECIPE": rec, "INPUT_STAGES": "lint", "INPUT_DOMAIN-SUFFIX": "inject-action.test",
		"INPUT_OUT": filepath.Join(dir, "results"), "RECIPE_TEST_RECIPES": t.TempDir(),
		"RECIPE_TEST_LOCK_DIR": filepath.Join(dir, "locks"),
	} {
		t.Setenv(k, v)
	}
	_, stdout, stderr := runCLI(t, "action")
	if !strings.Contains(stdout+stderr, "forged error") {
		t.Fatalf("the recipe's name was never printed, so this test proves nothing:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	for stream, out := range map[string]string{"stdout": stdout, "stderr": stderr} {
		for _, c := range workflowcmd.Commands(out) {
			switch name := strings.ToLower(c.Name); {
			case name != "group" && name != "endgroup" && name != "error" && name != "warning" && name != "notice":
				t.Errorf("%s: the recipe issued %q: %q", stream, c.Name, c.Line)
			case strings.HasPrefix(c.Data, "forged") || strings.Contains(c.Props, "forged"):
				t.Errorf("%s: a forged annotation: %q", stream, c.Line)
			}
		}
	}
}
