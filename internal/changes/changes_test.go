package changes

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repo makes a git repository with files, committed on main.
func repo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	gitIn(t, dir, "init", "-q", "-b", "main")
	write(t, dir, files)
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "base")
	return dir
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

var catalogue = []Recipe{
	{Name: "keycloak", Dir: "recipes/keycloak"},
	{Name: "lasuite-docs", Dir: "recipes/lasuite-docs", Requires: []string{"keycloak"}},
	{Name: "custom-html", Dir: "recipes/custom-html"},
}

func TestFilesSinceTheBranchLeftBase(t *testing.T) {
	dir := repo(t, map[string]string{"recipes/keycloak/recipe.toml": "a", "internal/x.go": "package x", "README.md": "r"})
	gitIn(t, dir, "checkout", "-q", "-b", "feature")
	write(t, dir, map[string]string{"recipes/keycloak/keycloak_test.go": "package keycloak"})
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "a test")
	// main moves on after the branch left it: its change is not the branch's.
	gitIn(t, dir, "checkout", "-q", "main")
	write(t, dir, map[string]string{"internal/x.go": "package x // changed on main"})
	gitIn(t, dir, "commit", "-q", "-am", "main moves")
	gitIn(t, dir, "checkout", "-q", "feature")
	files, err := Files(dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, " ") != "recipes/keycloak/keycloak_test.go" {
		t.Errorf("files %v, want only the branch's own change", files)
	}
	if _, err := Files(dir, "no-such-branch"); err == nil || !strings.Contains(err.Error(), "fetch-depth: 0") {
		t.Errorf("an unknown base: err = %v", err)
	}
}

func TestAffected(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  string
		why   string
	}{
		{"a recipe and who requires it", []string{"recipes/keycloak/recipe.toml"}, "keycloak lasuite-docs", "folders changed"},
		{"a dependent alone", []string{"recipes/lasuite-docs/docs_test.go"}, "lasuite-docs", "folders changed"},
		{"documentation only", []string{"README.md", "docs/enroll-recipe.md", "recipes/custom-html/PARITY.md"}, "custom-html", ""},
		{"nothing", []string{"docs/architecture.md"}, "", "no recipe's folder"},
		{"shared code", []string{"recipes/custom-html/x_test.go", "internal/runner/run.go"}, "custom-html keycloak lasuite-docs", "shared code changed (internal/runner/run.go)"},
		{"a fixture copy is shared", []string{"testdata/recipes/mumble-upstream/README.md"}, "custom-html keycloak lasuite-docs", "shared code"},
		{"a removed enrollment", []string{"recipes/gone/recipe.toml"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			names, why := Affected(tc.files, catalogue, "recipes")
			if got := strings.Join(names, " "); got != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("Affected = %q (%s), want %q (%s)", got, why, tc.want, tc.why)
			}
		})
	}
}
