// Package changes says which enrolled recipes a change touches, as
// chart-testing's list-changed does for charts: a recipe whose folder
// (recipes/<name>/) changed, a recipe that requires one of those, and every
// recipe when code they all share changed. A workflow turns the list into
// a matrix, so that a pull request tests what it can break and no more.
package changes

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Files lists the paths (slash-separated, relative to the repository)
// that differ between the merge base of base and HEAD, and HEAD: what the
// branch changed since it left base, as `git diff base...HEAD` does.
func Files(repoDir, base string) ([]string, error) {
	repo, err := git.PlainOpenWithOptions(repoDir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("open the repository at %s: %w", repoDir, err)
	}
	head, err := commitOf(repo, "HEAD")
	if err != nil {
		return nil, err
	}
	from, err := commitOf(repo, base)
	if err != nil {
		return nil, err
	}
	bases, err := from.MergeBase(head)
	if err != nil {
		return nil, fmt.Errorf("merge base of %s and HEAD: %w", base, err)
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("%s and HEAD share no history: a shallow clone? (actions/checkout with fetch-depth: 0)", base)
	}
	a, err := bases[0].Tree()
	if err != nil {
		return nil, err
	}
	b, err := head.Tree()
	if err != nil {
		return nil, err
	}
	diff, err := object.DiffTree(a, b)
	if err != nil {
		return nil, fmt.Errorf("diff %s...HEAD: %w", base, err)
	}
	var files []string
	for _, c := range diff {
		for _, name := range []string{c.From.Name, c.To.Name} {
			if name != "" && !slices.Contains(files, name) {
				files = append(files, name)
			}
		}
	}
	slices.Sort(files)
	return files, nil
}

func commitOf(repo *git.Repository, rev string) (*object.Commit, error) {
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if errors.Is(err, plumbing.ErrReferenceNotFound) && !strings.Contains(rev, "/") {
		// A branch name a checkout knows only as a remote branch.
		h, err = repo.ResolveRevision(plumbing.Revision("origin/" + rev))
	}
	if err != nil {
		return nil, fmt.Errorf("revision %s: %w (a shallow clone? actions/checkout with fetch-depth: 0)", rev, err)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", rev, err)
	}
	return c, nil
}

// Recipe is an enrolled recipe as Affected needs it: its name, its folder
// relative to the repository, and the recipes it requires.
type Recipe struct {
	Name     string
	Dir      string // e.g. recipes/keycloak
	Requires []string
}

// Affected returns the recipes files touch, sorted: those whose folder
// holds a changed file, those requiring one of them (transitively), or all
// of them when a file outside every recipe's folder is one they share.
// Documentation (docs/, *.md outside testdata) touches none; reason says
// why the answer is what it is.
func Affected(files []string, recipes []Recipe, recipesDir string) (names []string, reason string) {
	set := map[string]bool{}
	for _, f := range files {
		owner := ""
		for _, r := range recipes {
			if f == r.Dir || strings.HasPrefix(f, r.Dir+"/") {
				owner = r.Name
			}
		}
		switch {
		case owner != "":
			set[owner] = true
		case inert(f, recipesDir):
		default:
			all := make([]string, 0, len(recipes))
			for _, r := range recipes {
				all = append(all, r.Name)
			}
			slices.Sort(all)
			return all, "shared code changed (" + f + "): every enrolled recipe"
		}
	}
	// Whoever requires a changed recipe is changed too.
	for grew := true; grew; {
		grew = false
		for _, r := range recipes {
			if set[r.Name] {
				continue
			}
			for _, q := range r.Requires {
				if set[q] {
					set[r.Name], grew = true, true
					break
				}
			}
		}
	}
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return names, "no recipe's folder and no shared code changed"
	}
	return names, "their folders changed, or a recipe they require"
}

// inert says whether a changed file outside every recipe's folder cannot
// change how any recipe is tested: documentation, and folders of recipes
// not (or no longer) enrolled.
func inert(f, recipesDir string) bool {
	switch {
	case strings.HasPrefix(f, "docs/"), path.Ext(f) == ".md" && !strings.Contains(f, "testdata/"):
		return true
	case strings.HasPrefix(f, strings.TrimSuffix(recipesDir, "/")+"/"):
		return true // a recipe folder without a recipe.toml now: removed, nothing to test
	}
	return false
}

// Root returns the top folder of the git working tree dir is in.
func Root(dir string) (string, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "", fmt.Errorf("open the repository at %s: %w", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("the repository at %s: %w", dir, err)
	}
	return wt.Filesystem.Root(), nil
}
