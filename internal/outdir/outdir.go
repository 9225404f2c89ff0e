// Package outdir keeps a run's outputs inside its output folder.
//
// The output folder usually sits in the workspace, which is the checkout
// of the recipe or pull request under test: untrusted. A checkout that
// commits `recipe-test-results/report.md` as a symlink to a file of the
// runner's would have that file overwritten with text the recipe controls.
// So the folder itself must be a real folder, what the run writes there is
// cleared first, and every write goes through an os.Root and creates its
// file exclusively: no write follows a symlink, in or out of the folder.
package outdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Dir is an open output folder.
type Dir struct {
	root *os.Root
}

// Open opens the output folder at dir, creating it when absent. An
// existing dir must be a real folder, not a symlink to one.
func Open(dir string) (*Dir, error) {
	st, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("output folder %s: %w", dir, err)
		}
	case err != nil:
		return nil, fmt.Errorf("output folder %s: %w", dir, err)
	case st.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(dir)
		return nil, fmt.Errorf("output folder %s is a symlink (to %s): refusing to write through it; remove it or choose another folder", dir, target)
	case !st.IsDir():
		return nil, fmt.Errorf("output folder %s exists and is not a folder", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", dir, err)
	}
	return &Dir{root: root}, nil
}

// Path is the folder's path as given to Open.
func (d *Dir) Path() string { return d.root.Name() }

// Close releases the folder.
func (d *Dir) Close() error { return d.root.Close() }

// Clear removes names (files, folders or symlinks, never their targets)
// so that a run starts from what it writes itself.
func (d *Dir) Clear(names ...string) error {
	for _, name := range names {
		if err := d.root.RemoveAll(name); err != nil {
			return fmt.Errorf("clear %s in the output folder %s: %w", name, d.Path(), err)
		}
	}
	return nil
}

// Mkdir makes name (slash-separated, relative) a real folder with real
// parents: a symlink or file in the way is removed. It returns its path.
func (d *Dir) Mkdir(name string) (string, error) {
	name, err := clean(name)
	if err != nil {
		return "", err
	}
	parts := strings.Split(name, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		st, err := d.root.Lstat(p)
		if err == nil && st.IsDir() {
			continue
		}
		if err == nil {
			if err := d.root.Remove(p); err != nil {
				return "", fmt.Errorf("output folder %s: replace %s: %w", d.Path(), p, err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("output folder %s: %w", d.Path(), err)
		}
		if err := d.root.Mkdir(p, 0o755); err != nil {
			return "", fmt.Errorf("output folder %s: %w", d.Path(), err)
		}
	}
	return filepath.Join(d.Path(), filepath.FromSlash(name)), nil
}

// Create creates name afresh for writing: its parents are made real
// folders (see Mkdir), whatever was at name is removed, and the file is
// created exclusively, so a symlink put there is never followed.
func (d *Dir) Create(name string, perm fs.FileMode) (*os.File, error) {
	name, err := clean(name)
	if err != nil {
		return nil, err
	}
	if dir := path.Dir(name); dir != "." {
		if _, err := d.Mkdir(dir); err != nil {
			return nil, err
		}
	}
	if err := d.root.RemoveAll(name); err != nil {
		return nil, fmt.Errorf("output folder %s: replace %s: %w", d.Path(), name, err)
	}
	f, err := d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, fmt.Errorf("output folder %s: %w", d.Path(), err)
	}
	return f, nil
}

// WriteFile writes data to name afresh (see Create).
func (d *Dir) WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := d.Create(name, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// clean checks that name is a relative, slash-separated path below the
// folder.
func clean(name string) (string, error) {
	c := path.Clean(name)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") || path.IsAbs(c) {
		return "", fmt.Errorf("output name %q is not inside the output folder", name)
	}
	return c, nil
}
