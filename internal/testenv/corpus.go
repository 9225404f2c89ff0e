package testenv

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// CorpusDir is where the shared corpus of real public recipes lives, beside
// the checkout. Tests that read it skip when it is absent.
func CorpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared", "corpus", "recipes")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus of real recipes not found at %s (it sits beside the checkout): %v", dir, err)
	}
	return dir
}

var fileRefRe = regexp.MustCompile(`(?m)^\s+file:\s*(\S+)`)

// CorpusCopy copies a corpus recipe into a writable temporary folder. The
// corpus leaves out shell scripts, so with placeholders it also creates
// every file a compose `file:` entry names that is missing.
func CorpusCopy(t testing.TB, name string, placeholders bool) string {
	t.Helper()
	src := filepath.Join(CorpusDir(t), name)
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		if !placeholders || d.IsDir() || !strings.HasPrefix(d.Name(), "compose") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range fileRefRe.FindAllStringSubmatch(string(data), -1) {
			ref := filepath.Join(dst, m[1])
			if _, err := os.Stat(ref); os.IsNotExist(err) {
				_ = os.MkdirAll(filepath.Dir(ref), 0o755)
				if err := os.WriteFile(ref, []byte("# placeholder for a script the corpus leaves out\n"), 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
