package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestListEnrolled(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "enrollments")
	code, out, stderr := runCLI(t, "list", "--json", "--recipes-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []listed
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	names := []string{}
	for _, l := range got {
		names = append(names, l.Name)
	}
	if !slices.IsSorted(names) || !slices.Contains(names, "oidc-app") || !slices.Contains(names, "streams") {
		t.Errorf("names %v", names)
	}
	i := slices.Index(names, "oidc-app")
	if l := got[i]; !slices.Equal(l.Requires, []string{"oidc-provider"}) || l.Path != "../../recipes/oidc-app" || !strings.HasSuffix(l.Enrollment, "oidc-app") {
		t.Errorf("oidc-app listed as %+v", l)
	}
	// The text form names the same recipes, one a line.
	code, out, _ = runCLI(t, "list", "--recipes-dir", dir)
	if code != exitOK || strings.Count(out, "\n") != len(got) || !strings.Contains(out, "(requires oidc-provider)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestListRefusesABrokenEnrollment(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken", "recipe.toml"), []byte("[recipe]\nnmae = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "list", "--recipes-dir", dir)
	if code != exitConfig || !strings.Contains(stderr, filepath.Join(dir, "broken", "recipe.toml")+":2: recipe.nmae: unknown key") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "list", "--recipes-dir", filepath.Join(dir, "none"))
	if code != exitConfig || !strings.Contains(stderr, "none") {
		t.Errorf("a missing folder: exit %d: %s", code, stderr)
	}
}
