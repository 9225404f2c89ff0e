package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The pull request saved beside the results for a later publish goes into
// the output folder like every output: a symlink the checkout planted as
// event.json is replaced, its target left alone.
func TestSavedPullRequestFollowsNoSymlink(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("the runner's file"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "recipe-test-results")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(out, "event.json")); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action":"opened","number":7,"pull_request":{"number":7,"head":{"sha":"0123456789abcdef0123456789abcdef01234567","ref":"fix"},"base":{"ref":"main"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "GITHUB_EVENT_PATH" {
			return event
		}
		return ""
	}
	if err := savePullRequest(getenv, out); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "the runner's file" {
		t.Errorf("the symlink's target was written: %q", data)
	}
	st, err := os.Lstat(filepath.Join(out, "event.json"))
	if err != nil || !st.Mode().IsRegular() {
		t.Fatalf("event.json: %v %v", st, err)
	}
	if ev, err := forge.ReadEvent(filepath.Join(out, "event.json")); err != nil || ev.PR != 7 || ev.HeadSHA != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("saved event: %+v %v", ev, err)
	}
}

// In a pull request run the workspace is the pull request's: an
// enrollment there grants nothing, and the recipe that needs the grant is
// refused with exit 2 before anything is created.
func TestPullRequestWorkspaceGrantsNothing(t *testing.T) {
	ws := t.TempDir()
	enrollment := filepath.Join(ws, "recipes", "hostile-host")
	if err := os.MkdirAll(enrollment, 0o755); err != nil {
		t.Fatal(err)
	}
	grant := "[[policy.grant]]\nservice = \"app\"\nkey = \"volumes\"\nreason = \"added by the pull request\"\n"
	if err := os.WriteFile(filepath.Join(enrollment, "recipe.toml"), []byte(grant), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_WORKSPACE": ws,
		"INPUT_RECIPE": filepath.Join(testenv.RepoRoot(t), "testdata", "hostile", "host"), "INPUT_ENROLLMENT": enrollment,
		"INPUT_OUT": filepath.Join(t.TempDir(), "out"), "INPUT_TOKEN": "", "INPUT_ENROLL": "false",
	} {
		t.Setenv(k, v)
	}
	code, stdout, stderr := runCLI(t, "action")
	if code != exitConfig || !strings.Contains(stdout+stderr, "policy.grant: grants are honoured only from a reviewed enrollment, and this recipe.toml is in "+ws) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
