package dashboard

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// GitSource is a history kept in a git repository: the results.json files
// in the tree of Ref (a branch, tag, remote-tracking branch or commit),
// under Path when it is set. Nothing is checked out.
type GitSource struct {
	Repo string // a local repository (its work tree or .git folder)
	Ref  string
	Path string
}

func (g GitSource) String() string {
	s := g.Repo + ":" + g.Ref
	if g.Path != "" {
		s += ":" + g.Path
	}
	return s
}

// ParseGitSource reads REPO:REF[:PATH].
func ParseGitSource(s string) (GitSource, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return GitSource{}, fmt.Errorf("%q is not REPO:REF[:PATH] (for example .:origin/results:history)", s)
	}
	g := GitSource{Repo: parts[0], Ref: parts[1]}
	if len(parts) == 3 {
		g.Path = strings.Trim(path.Clean("/"+parts[2]), "/")
	}
	return g, nil
}

// LoadGit reads every results.json in the tree of g's ref (see LoadDir for
// what is a Problem). A repository, ref or path that does not exist is an
// error.
func LoadGit(ctx context.Context, g GitSource, into *Loaded) error {
	repo, err := git.PlainOpenWithOptions(g.Repo, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return fmt.Errorf("results history %s: open repository %s: %w", g, g.Repo, err)
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(g.Ref))
	if err != nil {
		return fmt.Errorf("results history %s: ref %s: %w", g, g.Ref, err)
	}
	commit, err := repo.CommitObject(*hash)
	if err != nil {
		return fmt.Errorf("results history %s: commit %s: %w", g, hash, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return fmt.Errorf("results history %s: tree of %s: %w", g, hash, err)
	}
	if g.Path != "" {
		if tree, err = tree.Tree(g.Path); err != nil {
			return fmt.Errorf("results history %s: no folder %s at %s: %w", g, g.Path, g.Ref, err)
		}
	}
	err = tree.Files().ForEach(func(f *object.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if path.Base(f.Name) != ResultsFile {
			return nil
		}
		source := g.Repo + ":" + g.Ref + ":" + path.Join(g.Path, f.Name)
		if f.Mode == filemode.Symlink {
			into.Problems = append(into.Problems, Problem{source, fmt.Errorf("a symlink, not a file")})
			return nil
		}
		data, err := readBlob(f)
		if err != nil {
			into.Problems = append(into.Problems, Problem{source, err})
			return nil
		}
		into.add(source, data)
		return nil
	})
	if err != nil {
		return fmt.Errorf("results history %s: %w", g, err)
	}
	return nil
}

func readBlob(f *object.File) ([]byte, error) {
	if f.Size > maxResultsSize {
		return nil, fmt.Errorf("%d bytes: larger than any results.json (%d at most)", f.Size, maxResultsSize)
	}
	r, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", f.Hash, err)
	}
	return data, nil
}
