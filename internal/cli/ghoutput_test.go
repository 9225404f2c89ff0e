package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// changed and list write their JSON as a step output, on one line, for a
// matrix (fromJSON): [] when a change touches no recipe, so that the
// workflow can skip the job; a missing $GITHUB_OUTPUT or a bad name is a
// usage error.
func TestChangedAndListAsStepOutputs(t *testing.T) {
	dir := t.TempDir()
	gitIn := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("recipes/keycloak/recipe.toml", "[recipe]\nupstream = \"https://git.example.org/keycloak.git\"\n")
	write("recipes/html/recipe.toml", "[recipe]\nupstream = \"https://git.example.org/html.git\"\n")
	gitIn("init", "-q", "-b", "main")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "catalogue")
	gitIn("checkout", "-q", "-b", "change")
	write("docs/notes.md", "notes")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "documentation alone")
	recipes := filepath.Join(dir, "recipes")
	output := filepath.Join(t.TempDir(), "output")
	t.Setenv("GITHUB_OUTPUT", output)
	read := func() string {
		t.Helper()
		data, err := os.ReadFile(output)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(output)
		return string(data)
	}

	if code, _, stderr := runCLI(t, "changed", "--base", "main", "--recipes-dir", recipes, "--github-output", "recipes"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := read(); got != "recipes=[]\n" {
		t.Errorf("documentation alone: output %q, want recipes=[]", got)
	}
	write("recipes/html/html_test.go", "package html\n")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "an html test")
	if code, _, stderr := runCLI(t, "changed", "--base", "main", "--recipes-dir", recipes, "--github-output", "recipes"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := read(); got != `recipes=["html"]`+"\n" {
		t.Errorf("a recipe's change: output %q", got)
	}

	if code, _, stderr := runCLI(t, "list", "--recipes-dir", recipes, "--github-output", "catalogue"); code != exitOK {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	got := read()
	value, ok := strings.CutPrefix(got, "catalogue=")
	var listedRecipes []listed
	if !ok || strings.Count(got, "\n") != 1 || json.Unmarshal([]byte(value), &listedRecipes) != nil ||
		len(listedRecipes) != 2 || listedRecipes[0].Name != "html" || listedRecipes[1].Upstream != "https://git.example.org/keycloak.git" {
		t.Errorf("list's output %q", got)
	}

	if code, _, stderr := runCLI(t, "list", "--recipes-dir", recipes, "--github-output", "a=b"); code != exitConfig || !strings.Contains(stderr, `--github-output "a=b"`) {
		t.Errorf("a bad output name: exit %d: %s", code, stderr)
	}
	t.Setenv("GITHUB_OUTPUT", "")
	if code, _, stderr := runCLI(t, "changed", "--base", "main", "--recipes-dir", recipes, "--github-output", "recipes"); code != exitConfig || !strings.Contains(stderr, "$GITHUB_OUTPUT is unset") {
		t.Errorf("no $GITHUB_OUTPUT: exit %d: %s", code, stderr)
	}
}
