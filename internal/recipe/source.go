package recipe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"

	"github.com/cc-ci/recipe-test/v2/internal/exitcode"
	"github.com/cc-ci/recipe-test/v2/internal/giturl"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
)

// Errors wrapped by Fetch, for errors.Is: the user's input's fault.
const (
	ErrRepositoryNotFound = inputError("repository not found or unreachable")
	ErrRefNotFound        = inputError("ref not found")
)

// inputError is a sentinel error that is the user's input's fault: the
// command exits with exitcode.Input.
type inputError string

func (e inputError) Error() string { return string(e) }

// ExitCode makes it an exitcode.Coder.
func (inputError) ExitCode() int { return exitcode.Input }

// go-git's own file:// transport runs the git-upload-pack binary. Serve local
// repositories in-process instead, so cloning a local path or file:// URL
// needs no git installation.
func init() {
	client.InstallProtocol("file", server.NewClient(localLoader{}))
}

type localLoader struct{}

func (localLoader) Load(ep *transport.Endpoint) (storer.Storer, error) {
	repo, err := git.PlainOpen(ep.Path)
	if err != nil {
		return nil, transport.ErrRepositoryNotFound
	}
	return repo.Storer, nil
}

// Source is a recipe's files on disk at a given ref.
type Source struct {
	Location string // path or git URL as given
	Ref      string // ref as given; "" for the working tree or default branch
	Dir      string // local working copy (absolute)
	Commit   string // resolved commit hash; "" for a plain folder
	IsGit    bool
	// HistoryWarning: a local checkout was shallow (or had no tags) and
	// its tags could not be fetched; see completeHistory.
	HistoryWarning string
}

// Fetch makes the recipe at location available on disk at ref.
//
// location is a git URL (https://, http://, ssh://, git://, file://,
// git@host:path), a local git repository or a plain folder. A plain folder (one
// without its own .git) is used in place and takes no ref. A local repository
// with an empty ref is used in place, uncommitted changes included; Commit is
// its HEAD. Otherwise the repository is cloned with all its tags into a fresh
// directory under workDir (the system temp dir when empty; the caller removes
// it) and ref is checked out: a tag, a branch, a full or abbreviated commit
// hash, or a full ref name such as refs/pull/5/head. An empty ref means the
// remote's default branch.
func Fetch(ctx context.Context, location, ref, workDir string) (*Source, error) {
	src, err := fetch(ctx, location, ref, workDir)
	if err != nil {
		// Errors quote the location, and go-git's may quote the URL it
		// was given: a credential in it must not reach a log or a report.
		return nil, shownError{err}
	}
	// The location is for display from here on; the clone is made.
	src.Location = redact.URLCredentials(src.Location)
	return src, nil
}

// shownError is an error whose text has URL credentials stripped; errors.Is
// and errors.As still see the error it wraps.
type shownError struct{ err error }

func (e shownError) Error() string { return redact.URLCredentials(e.err.Error()) }
func (e shownError) Unwrap() error { return e.err }

func fetch(ctx context.Context, location, ref, workDir string) (*Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetching recipe %s: %w", location, err)
	}
	if location == "" {
		return nil, errors.New("fetching recipe: empty location")
	}
	if giturl.Is(location) {
		return clone(ctx, location, location, ref, workDir)
	}
	abs, err := filepath.Abs(location)
	if err != nil {
		return nil, fmt.Errorf("recipe folder %s: %w", location, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("recipe %s: %w: %w", location, ErrRepositoryNotFound, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("recipe %s: %w: not a folder", location, ErrRepositoryNotFound)
	}
	repo, err := git.PlainOpen(abs)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if ref != "" {
			return nil, fmt.Errorf("%w: ref %q given but %s is not a git repository", ErrRefNotFound, ref, abs)
		}
		return &Source{Location: location, Dir: abs}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening git repository %s: %w", abs, err)
	}
	warning := redact.URLCredentials(completeHistory(ctx, repo, abs))
	if ref != "" {
		src, err := clone(ctx, location, abs, ref, workDir)
		if src != nil {
			src.HistoryWarning = warning
		}
		return src, err
	}
	src := &Source{Location: location, Dir: abs, IsGit: true, HistoryWarning: warning}
	head, err := repo.Head()
	switch {
	case err == nil:
		src.Commit = head.Hash().String()
	case !errors.Is(err, plumbing.ErrReferenceNotFound): // unborn HEAD: no commit yet
		return nil, fmt.Errorf("reading HEAD of %s: %w", abs, err)
	}
	return src, nil
}

func clone(ctx context.Context, location, url, ref, workDir string) (_ *Source, err error) {
	if workDir != "" {
		if err := os.MkdirAll(workDir, 0o755); err != nil {
			return nil, fmt.Errorf("creating work dir for %s: %w", location, err)
		}
	}
	dir, err := os.MkdirTemp(workDir, "recipe-")
	if err != nil {
		return nil, fmt.Errorf("creating clone dir for %s: %w", location, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("fetching %s at %q: %w (%v)", location, ref, ctx.Err(), err)
			}
		}
	}()
	repo, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{
		URL: url, NoCheckout: true, Tags: git.AllTags,
	})
	if err != nil {
		if errors.Is(err, transport.ErrEmptyRemoteRepository) {
			return nil, fmt.Errorf("cloning %s: repository is empty: %w", location, err)
		}
		return nil, fmt.Errorf("cloning %s: %w: %w", location, ErrRepositoryNotFound, err)
	}
	hash, err := resolveRef(ctx, repo, ref)
	if err != nil {
		return nil, fmt.Errorf("ref %q not found in %s: %w", ref, location, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetching %s at %q: %w", location, ref, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, fmt.Errorf("opening worktree of %s: %w", dir, err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: hash, Force: true}); err != nil {
		return nil, fmt.Errorf("checking out %q (%s) from %s: %w", ref, hash, location, err)
	}
	return &Source{Location: location, Ref: ref, Dir: dir, Commit: hash.String(), IsGit: true}, nil
}

var hexRef = regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`)

// resolveRef finds the commit ref names in a fresh clone, fetching full ref
// names (refs/pull/5/head) and otherwise unreachable hashes explicitly. Tags
// win over branches, as with git rev-parse.
func resolveRef(ctx context.Context, repo *git.Repository, ref string) (plumbing.Hash, error) {
	if ref == "" {
		head, err := repo.Head()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("%w: HEAD: %w", ErrRefNotFound, err)
		}
		return head.Hash(), nil
	}
	if strings.HasPrefix(ref, "refs/") {
		name := ref
		if branch, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
			name = "refs/remotes/origin/" + branch
		} else if !strings.HasPrefix(ref, "refs/tags/") {
			if err := fetchRefs(ctx, repo, "+"+ref+":"+ref); err != nil {
				return plumbing.ZeroHash, err
			}
		}
		return peelRef(repo, plumbing.ReferenceName(name))
	}
	for _, name := range []string{"refs/tags/" + ref, "refs/remotes/origin/" + ref} {
		if h, err := peelRef(repo, plumbing.ReferenceName(name)); err == nil {
			return h, nil
		}
	}
	if !hexRef.MatchString(ref) {
		return plumbing.ZeroHash, ErrRefNotFound
	}
	if h, err := repo.ResolveRevision(plumbing.Revision(ref)); err == nil {
		return *h, nil
	}
	// A commit only reachable from other refs (e.g. an open pull request).
	if err := fetchRefs(ctx, repo, "+refs/*:refs/remotes/origin/all/*"); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %w", ErrRefNotFound, err)
	}
	return *h, nil
}

func fetchRefs(ctx context.Context, repo *git.Repository, spec string) error {
	err := repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin", RefSpecs: []config.RefSpec{config.RefSpec(spec)}, Tags: git.NoTags,
	})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, git.NoMatchingRefSpecError{}):
		return fmt.Errorf("%w: %w", ErrRefNotFound, err)
	}
	return fmt.Errorf("fetching %s: %w", spec, err)
}

func peelRef(repo *git.Repository, name plumbing.ReferenceName) (plumbing.Hash, error) {
	r, err := repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %w", ErrRefNotFound, err)
	}
	return peelToCommit(repo, r.Hash())
}

// peelToCommit follows annotated tags to the commit they name.
func peelToCommit(repo *git.Repository, h plumbing.Hash) (plumbing.Hash, error) {
	for range 16 {
		tag, err := repo.TagObject(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			break
		}
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("reading tag object %s: %w", h, err)
		}
		h = tag.Target
	}
	if _, err := repo.CommitObject(h); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("object %s is not a commit: %w", h, err)
	}
	return h, nil
}
