package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// giveToWorkspaceOwner hands the output folder out, and the folders made
// between the workspace and it, to the owner of the workspace. The action
// runs as root in its container while a self-hosted runner's workspace
// belongs to the runner's user, and root-owned results break that user's
// next actions/checkout (it cannot clean them). Nothing happens outside
// the workspace, without a workspace, or when this process cannot chown
// (not root) or needs not (the owner is already us).
func giveToWorkspaceOwner(workspace, out string) error {
	if workspace == "" || out == "" {
		return nil
	}
	uid, gid, ok := fileOwner(workspace)
	if !ok || os.Geteuid() != 0 || uid == os.Geteuid() {
		return nil
	}
	ws, err := filepath.Abs(workspace)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(ws, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil // not inside the workspace (or the workspace itself)
	}
	// Nothing is handed over through a symlink the checkout planted as
	// out or as a folder above it: this runs as root, and the walk would
	// give away the link's target. recipe-test wrote nothing there anyway
	// (see outdir).
	if st, err := os.Lstat(abs); err != nil || st.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	realWS, err1 := filepath.EvalSymlinks(ws)
	realOut, err2 := filepath.EvalSymlinks(abs)
	if err1 != nil || err2 != nil {
		return nil
	}
	if rel, err := filepath.Rel(realWS, realOut); err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil
	}
	// The folders between the workspace and out, which MkdirAll may have made.
	dir := ws
	for _, part := range strings.Split(filepath.Dir(rel), string(filepath.Separator)) {
		if part == "." {
			break
		}
		dir = filepath.Join(dir, part)
		if err := os.Lchown(dir, uid, gid); err != nil {
			return fmt.Errorf("giving %s to the workspace's owner: %w", dir, err)
		}
	}
	err = filepath.WalkDir(abs, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("giving %s to the workspace's owner (uid %d): %w", out, uid, err)
	}
	return nil
}
