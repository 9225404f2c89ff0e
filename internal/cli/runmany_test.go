package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestFolderNames(t *testing.T) {
	got := folderNames([]string{"testdata/recipes/example", "example", "https://git.coopcloud.tech/coop-cloud/custom-html.git", "a/example-2/", "/"})
	want := []string{"example", "example-2", "custom-html", "example-2-2", "recipe"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestRecipeListFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "recipes.txt")
	os.WriteFile(file, []byte("# nightly\nexample\n\n  custom-html  \n# mumble\n"), 0o644)
	got, err := recipeList{names: []string{"first"}, file: file}.list()
	if err != nil || !slices.Equal(got, []string{"first", "example", "custom-html"}) {
		t.Errorf("got %v, %v", got, err)
	}
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, []byte("# nothing\n\n"), 0o644)
	if _, err := (recipeList{file: empty}).list(); err == nil || !strings.Contains(err.Error(), empty+": names no recipe") {
		t.Errorf("an empty list: %v", err)
	}
	if _, err := (recipeList{file: filepath.Join(dir, "missing")}).list(); err == nil || !strings.Contains(err.Error(), "--recipes-file") {
		t.Errorf("a missing list: %v", err)
	}
}

// Lines written in pieces by runs side by side come out whole, each with
// its run's prefix.
func TestLinePrefixer(t *testing.T) {
	var mu sync.Mutex
	var out strings.Builder
	a := &linePrefixer{mu: &mu, w: &out, prefix: "a: "}
	b := &linePrefixer{mu: &mu, w: &out, prefix: "b: "}
	a.Write([]byte("one "))
	b.Write([]byte("two\nthr"))
	a.Write([]byte("half\n"))
	b.Write([]byte("ee"))
	b.Flush()
	if got, want := out.String(), "b: two\na: one half\nb: three\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
