package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errOutside is why a file a compose file names may not be read.
var errOutside = errors.New("is outside the recipe")

// insideRecipe resolves a recipe file (.env.sample, abra.sh, a compose
// file, release notes) or a path a compose file names (a config, secret or
// env_file) and returns it relative to the recipe folder. The path must
// exist and stay inside the recipe once every symlink is followed: a
// recipe (or a pull request to one) is untrusted, and a symlink committed
// as `app.conf -> /etc/shadow` or an absolute `file: /root/.ssh/id_rsa`
// would otherwise copy a host file into a swarm object the app can read.
func insideRecipe(dir, path string) (string, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("recipe folder %s: %w", dir, err)
	}
	// The name as written must be inside too: an absolute host path is
	// refused even when it happens to lead back into the recipe.
	if _, ok := relInside(dir, path); !ok {
		if _, ok := relInside(root, path); !ok {
			return "", fmt.Errorf("%s %w", path, errOutside)
		}
	}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		rel, _ := relInside(dir, path)
		return "", fmt.Errorf("%s does not exist in the recipe (or is a broken symlink): %w", rel, fs.ErrNotExist)
	}
	if err != nil {
		return "", err
	}
	rel, ok := relInside(root, real)
	if !ok {
		written, _ := relInside(dir, path)
		return "", fmt.Errorf("%s is a symlink to %s, which %w", written, real, errOutside)
	}
	// Read whole into a swarm object later: bounded like every recipe file.
	if st, err := os.Stat(real); err == nil && st.Size() > MaxFileSize {
		return "", fmt.Errorf("%s is larger than %d MiB, the most a recipe file may hold", rel, MaxFileSize>>20)
	}
	return rel, nil
}

// relInside returns path relative to dir when it is dir or below it.
func relInside(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}
