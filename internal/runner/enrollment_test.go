package runner

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// An enrolled recipe is fetched from the CI's mirror when recipe.toml
// names one, else from upstream.
func TestLocateEnrolledPrefersMirror(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{
		"mirrored": "[recipe]\nupstream = \"https://git.coopcloud.tech/coop-cloud/mirrored.git\"\nmirror = \"https://git.example.org/cc-ci/mirrored.git\"\nref = \"1.0.0+2.0\"\n",
		"plain":    "[recipe]\nupstream = \"https://git.coopcloud.tech/coop-cloud/plain.git\"\n",
	} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "recipe.toml"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string][2]string{
		"mirrored": {"https://git.example.org/cc-ci/mirrored.git", "1.0.0+2.0"},
		"plain":    {"https://git.coopcloud.tech/coop-cloud/plain.git", ""},
	} {
		r := &Run{cfg: config{source: Source{Recipe: name, RecipesDir: dir}}, stageOut: io.Discard}
		loc, ref, err := r.locate()
		if err != nil || loc != want[0] || ref != want[1] {
			t.Errorf("%s: located %q at %q (%v); want %q at %q", name, loc, ref, err, want[0], want[1])
		}
	}
}
