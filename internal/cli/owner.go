package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/giturl"
)

// giveToWorkspaceOwner hands what this process wrote into the workspace to
// the workspace's owner: each of paths (the output folder; a recipe
// checkout's .git, which fetching its tags writes to) and the folders made
// between the workspace and it. The action runs as root in its container
// while a self-hosted runner's workspace belongs to the runner's user, and
// root-owned files break that user's next actions/checkout (it cannot
// clean or fetch over them). Only files this process's user owns change
// hands: nothing of anyone else's. Nothing happens outside the workspace,
// without a workspace, or when this process cannot chown (not root) or
// needs not (the owner is already us).
func giveToWorkspaceOwner(workspace string, paths ...string) error {
	if workspace == "" {
		return nil
	}
	uid, gid, ok := fileOwner(workspace)
	me := os.Geteuid()
	if !ok || me != 0 || uid == me {
		return nil
	}
	ws, err := filepath.Abs(workspace)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range paths {
		if p == "" {
			continue
		}
		if err := handOver(ws, p, me, uid, gid); err != nil {
			errs = append(errs, fmt.Errorf("giving %s to the workspace's owner (uid %d): %w", p, uid, err))
		}
	}
	return errors.Join(errs...)
}

// handOver gives path, and the folders between ws and it, from user me
// to uid:gid, when path lies inside ws.
func handOver(ws, path string, me, uid, gid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(ws, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil // not inside the workspace (or the workspace itself)
	}
	// Nothing is handed over through a symlink the checkout planted as
	// path or as a folder above it: this runs as root, and the walk would
	// give away the link's target. recipe-test wrote nothing there anyway
	// (see outdir).
	if st, err := os.Lstat(abs); err != nil || st.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	realWS, err1 := filepath.EvalSymlinks(ws)
	realPath, err2 := filepath.EvalSymlinks(abs)
	if err1 != nil || err2 != nil {
		return nil
	}
	if rel, err := filepath.Rel(realWS, realPath); err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil
	}
	give := func(p string) error {
		if u, _, ok := fileOwner(p); !ok || u != me {
			return nil
		}
		return os.Lchown(p, uid, gid)
	}
	dir := ws
	for _, part := range strings.Split(filepath.Dir(rel), string(filepath.Separator)) {
		if part == "." {
			break
		}
		dir = filepath.Join(dir, part)
		if err := give(dir); err != nil {
			return err
		}
	}
	err = filepath.WalkDir(abs, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return give(p)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// checkoutGitDir is the .git folder of the git checkout that holds path (a
// recipe folder in the workspace), looking up no further than ws; "" when
// there is none, or path is not a local folder.
func checkoutGitDir(ws, path string) string {
	if ws == "" || path == "" || giturl.Is(path) {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return "" // an enrolled recipe's name, or a git URL
	}
	wsAbs, err1 := filepath.Abs(ws)
	dir, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return ""
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && fi.IsDir() {
			return filepath.Join(dir, ".git")
		}
		if dir == wsAbs || dir == filepath.Dir(dir) {
			return ""
		}
		dir = filepath.Dir(dir)
	}
}
