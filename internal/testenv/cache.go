package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// CacheEnv overrides the folder where the set-up scripts cache what they
// build once per machine (Gitea, act).
const CacheEnv = "RECIPE_TEST_CACHE"

// CacheDir is that folder: $RECIPE_TEST_CACHE, else ~/.cache/recipe-test,
// as scripts/cache.sh computes it.
func CacheDir() (string, error) {
	if dir := os.Getenv(CacheEnv); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home folder for the cache (%v): set $%s", err, CacheEnv)
	}
	return filepath.Join(home, ".cache", "recipe-test"), nil
}

// CachedTool returns the path of a tool a set-up script builds into the
// cache (rel inside CacheDir, e.g. "act-0.2.89/act"); without it, t skips,
// or fails when resources are required, naming the script to run.
func CachedTool(t testing.TB, rel, script string) string {
	t.Helper()
	cache, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(cache, filepath.FromSlash(rel))
	if _, err := os.Stat(bin); err != nil {
		unavailable(t, "%s not built: run %s (%v)", rel, script, err)
	}
	return bin
}
