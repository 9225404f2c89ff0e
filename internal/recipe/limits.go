package recipe

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Bounds on what reading a recipe may cost. A recipe is untrusted input:
// no real one comes near these (a .env.sample is a few KiB, a compose file
// tens of KiB), while without them a few hundred bytes could make the
// parser allocate gigabytes.
const (
	// MaxFileSize bounds each recipe file read: .env.sample, abra.sh,
	// compose files, release notes.
	MaxFileSize = 4 << 20
	// MaxEnvSize bounds the expanded values of one env file, together: a
	// value that appends to itself ("A=$A$A") doubles on every line.
	MaxEnvSize = 1 << 20
)

// readFile reads the recipe file rel (relative to the recipe folder dir)
// of at most MaxFileSize bytes. It must stay inside the recipe once
// symlinks are followed (see insideRecipe): a .env.sample committed as a
// symlink to /proc/self/environ would otherwise carry the runner's
// environment into the app's. A missing file is an fs.ErrNotExist.
func readFile(dir, rel string) ([]byte, error) {
	real, err := insideRecipe(dir, filepath.FromSlash(rel))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, err
	case err != nil: // outside the recipe, or too large
		return nil, &ConfigError{File: rel, Msg: err.Error()}
	}
	f, err := os.Open(filepath.Join(dir, real))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read one byte more than allowed: a file that fills it is too long,
	// whatever its size claims (a FIFO or /dev/zero claims nothing).
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &ConfigError{File: rel, Msg: fmt.Sprintf("is larger than %d MiB, the most a recipe file may hold", MaxFileSize>>20)}
	}
	return data, nil
}
