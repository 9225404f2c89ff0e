package enroll

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
)

// ciClone is the CI repository cloned at its base branch, with the
// enrollment branch fetched when it exists.
type ciClone struct {
	repo   *git.Repository
	dir    string
	auth   transport.AuthMethod
	base   string
	branch string
	// branchTip is the enrollment branch's commit upstream; "" when the
	// branch does not exist yet.
	branchTip plumbing.Hash
}

func cloneCI(ctx context.Context, dir, url string, auth transport.AuthMethod, base, branch string) (*ciClone, error) {
	repo, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{
		URL: url, Auth: auth, ReferenceName: plumbing.NewBranchReferenceName(base), SingleBranch: true, Tags: git.NoTags,
	})
	if err != nil {
		return nil, fmt.Errorf("clone %s at %s: %w", url, base, err)
	}
	c := &ciClone{repo: repo, dir: dir, auth: auth, base: base, branch: branch}
	rem, err := repo.Remote("origin")
	if err != nil {
		return nil, err
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return nil, fmt.Errorf("list branches of %s: %w", url, err)
	}
	for _, r := range refs {
		if r.Name() == plumbing.NewBranchReferenceName(branch) {
			c.branchTip = r.Hash()
		}
	}
	if !c.branchTip.IsZero() {
		spec := config.RefSpec("+refs/heads/" + branch + ":refs/remotes/origin/" + branch)
		err := repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: auth, Tags: git.NoTags})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil, fmt.Errorf("fetch branch %s of %s: %w", branch, url, err)
		}
	}
	return c, nil
}

// baseHas reports whether path exists in the base branch's tree.
func (c *ciClone) baseHas(path string) (bool, error) {
	head, err := c.repo.Head()
	if err != nil {
		return false, err
	}
	commit, err := c.repo.CommitObject(head.Hash())
	if err != nil {
		return false, err
	}
	_, err = commit.File(path)
	if errors.Is(err, object.ErrFileNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Author is the identity of enrollment commits; Trailer marks them.
const (
	authorName  = "recipe-test"
	authorEmail = "recipe-test@users.noreply.localhost"
	Trailer     = "Generated-by: recipe-test enroll"
)

// foreignCommits lists the commits on the enrollment branch, not on base,
// that recipe-test did not make: a maintainer's work, never overwritten.
func (c *ciClone) foreignCommits() ([]string, error) {
	if c.branchTip.IsZero() {
		return nil, nil
	}
	head, err := c.repo.Head()
	if err != nil {
		return nil, err
	}
	onBase := map[plumbing.Hash]bool{}
	iter, err := c.repo.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		return nil, err
	}
	if err := iter.ForEach(func(cm *object.Commit) error { onBase[cm.Hash] = true; return nil }); err != nil {
		return nil, err
	}
	iter, err = c.repo.Log(&git.LogOptions{From: c.branchTip})
	if err != nil {
		return nil, err
	}
	var out []string
	err = iter.ForEach(func(cm *object.Commit) error {
		if onBase[cm.Hash] {
			return errStop
		}
		if !strings.Contains(cm.Message, Trailer) {
			out = append(out, fmt.Sprintf("%.12s %s (%s)", cm.Hash, excerpt.FirstLine(cm.Message), cm.Author.Name))
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return out, err
}

var errStop = errors.New("stop")

// commitScaffold checks out the enrollment branch (or starts it at base),
// replaces folder with files and commits when anything changed. It
// returns the new commit, or the zero hash when nothing changed.
func (c *ciClone) commitScaffold(folder string, files map[string][]byte, message string) (plumbing.Hash, error) {
	wt, err := c.repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	start := c.branchTip
	if start.IsZero() {
		head, err := c.repo.Head()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		start = head.Hash()
	}
	ref := plumbing.NewBranchReferenceName(c.branch)
	if err := wt.Checkout(&git.CheckoutOptions{Hash: start, Branch: ref, Create: true, Force: true}); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("check out %s: %w", c.branch, err)
	}
	abs := filepath.Join(c.dir, filepath.FromSlash(folder))
	if err := os.RemoveAll(abs); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return plumbing.ZeroHash, err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(abs, name), data, 0o644); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true, Path: folder}); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("stage %s: %w", folder, err)
	}
	status, err := wt.Status()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if status.IsClean() {
		return plumbing.ZeroHash, nil
	}
	sig := &object.Signature{Name: authorName, Email: authorEmail, When: time.Now()}
	h, err := wt.Commit(message+"\n\n"+Trailer+"\n", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit %s: %w", folder, err)
	}
	return h, nil
}

// push pushes the enrollment branch, never forced: a branch that moved
// meanwhile makes the push fail rather than lose someone's commit.
func (c *ciClone) push(ctx context.Context) error {
	spec := config.RefSpec("refs/heads/" + c.branch + ":refs/heads/" + c.branch)
	err := c.repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: c.auth})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}
