package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestChangedRecipes(t *testing.T) {
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
	write("recipes/docs/recipe.toml", "[recipe]\nupstream = \"https://git.example.org/docs.git\"\n\n[[requires]]\nname = \"keycloak\"\n")
	write("recipes/html/recipe.toml", "[recipe]\nupstream = \"https://git.example.org/html.git\"\n")
	gitIn("init", "-q", "-b", "main")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "catalogue")
	gitIn("checkout", "-q", "-b", "change")
	write("recipes/keycloak/keycloak_test.go", "package keycloak\n")
	write("docs/notes.md", "notes")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "a keycloak test")

	recipes := filepath.Join(dir, "recipes")
	code, out, stderr := runCLI(t, "changed", "--base", "main", "--recipes-dir", recipes, "--json")
	var names []string
	if code != exitOK || json.Unmarshal([]byte(out), &names) != nil || strings.Join(names, " ") != "docs keycloak" {
		t.Errorf("exit %d, %q (%s): want docs and keycloak (docs requires it)", code, out, stderr)
	}
	code, out, stderr = runCLI(t, "changed", "--base", "main", "--recipes-dir", recipes)
	if code != exitOK || out != "docs\nkeycloak\n" || !strings.Contains(stderr, "2 changed files since main") {
		t.Errorf("exit %d, %q, %q", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, "changed", "--recipes-dir", recipes); code != exitConfig || !strings.Contains(stderr, "--base is required") {
		t.Errorf("without --base: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "changed", "--base", "nope", "--recipes-dir", recipes); code != exitConfig || !strings.Contains(stderr, "revision nope") {
		t.Errorf("an unknown base: exit %d: %s", code, stderr)
	}
}
