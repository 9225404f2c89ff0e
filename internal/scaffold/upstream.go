package scaffold

import (
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// testPatterns are the file names that look like tests wherever they are.
var testPatterns = []string{
	"*_test.go", "test_*.py", "*_test.py", "*.bats", "*.test.sh",
	"*.spec.js", "*.spec.ts", "*.test.js", "*.test.ts",
}

// findTests lists the files of the recipe repository at dir that look like
// tests: anything under a folder named test or tests, and files named like
// tests (testPatterns). Paths are slash-separated, relative to dir, sorted;
// .git is skipped.
func findTests(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if isTestFile(rel) {
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// isTestFile reports whether the slash-separated relative path looks like
// a test.
func isTestFile(rel string) bool {
	parts := strings.Split(rel, "/")
	if slices.ContainsFunc(parts[:len(parts)-1], func(s string) bool { return s == "test" || s == "tests" }) {
		return true
	}
	base := path.Base(rel)
	return slices.ContainsFunc(testPatterns, func(pat string) bool {
		ok, _ := path.Match(pat, base)
		return ok
	})
}
