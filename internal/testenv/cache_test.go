package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// On a fresh machine HOME is empty: the set-up scripts' cache handling
// must create what it needs (a missing ~/.cache once failed every run at
// its first mktemp), and agree with CacheDir on where the cache is.
func TestSetupCacheOnEmptyHome(t *testing.T) {
	root := RepoRoot(t)
	for name, tc := range map[string]struct{ home, cache string }{
		"empty HOME":        {t.TempDir(), ""},
		"RECIPE_TEST_CACHE": {t.TempDir(), filepath.Join(t.TempDir(), "a", "b")},
	} {
		t.Run(name, func(t *testing.T) {
			// The shell and CacheDir see the same HOME and cache variable.
			t.Setenv("HOME", tc.home)
			t.Setenv(CacheEnv, tc.cache)
			cmd := exec.Command("bash", "-c", `set -euo pipefail; source scripts/cache.sh; d=$(cache_dir); t=$(cache_tmp x-build); test -d "$d"; test -d "$t"; echo "$d"; echo "$t"`)
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("cache.sh: %v\n%s", err, out)
			}
			want, err := CacheDir()
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Fields(string(out))
			if len(lines) != 2 || lines[0] != want || filepath.Dir(lines[1]) != want {
				t.Errorf("cache.sh printed %q, want the folder %s and a new folder in it", lines, want)
			}
		})
	}
}

// Every set-up script that caches goes through cache.sh, not a path of
// its own: a cache path made by hand is how the empty-HOME failure came.
func TestSetupScriptsUseCacheHelpers(t *testing.T) {
	root := RepoRoot(t)
	scripts, err := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	byHand := regexp.MustCompile(`\.cache/recipe-test|mktemp -d "\$cache`)
	checked := 0
	for _, s := range scripts {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if filepath.Base(s) == "cache.sh" || !strings.Contains(text, "RECIPE_TEST_CACHE") && !strings.Contains(text, "cache_dir") {
			continue
		}
		checked++
		for i, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "#") && byHand.MatchString(line) {
				t.Errorf("%s:%d makes a cache path by hand: use cache_dir/cache_tmp from scripts/cache.sh", filepath.Base(s), i+1)
			}
		}
		if !strings.Contains(text, "cache.sh") {
			t.Errorf("%s caches without scripts/cache.sh", filepath.Base(s))
		}
	}
	if checked < 2 {
		t.Errorf("found %d caching set-up scripts, want setup-gitea.sh and setup-act.sh at least", checked)
	}
}
