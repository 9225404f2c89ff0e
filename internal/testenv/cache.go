package testenv

import (
	"fmt"
	"os"
	"path/filepath"
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
