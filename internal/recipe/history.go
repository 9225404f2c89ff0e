package recipe

import (
	"context"
	"errors"
	"fmt"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
)

// ShallowHint is what a workflow should change when a checkout hides the
// recipe's releases.
const ShallowHint = "use actions/checkout with fetch-depth: 0"

// completeHistory makes a local checkout hold the recipe's releases, which
// upgrades start from and lint compares with. Actions checkouts are
// shallow by default (depth 1, no tags): the recipe then seems to have no
// releases, and the upgrade would be skipped without a word. So when the
// repository is shallow, or has no tags at all, its tags are fetched from
// its origin remote. It returns a warning, for the log and the report,
// when the releases could not be had; "" when nothing was missing or they
// were fetched.
func completeHistory(ctx context.Context, repo *git.Repository, dir string) string {
	shallow, err := repo.Storer.Shallow()
	if err != nil {
		return fmt.Sprintf("%s: cannot tell whether the clone is shallow (%v): upgrade may not be tested; %s", dir, err, ShallowHint)
	}
	tags, err := countTags(repo)
	if err != nil {
		return fmt.Sprintf("%s: cannot list its tags (%v): upgrade may not be tested; %s", dir, err, ShallowHint)
	}
	if len(shallow) == 0 && tags > 0 {
		return ""
	}
	remote, err := repo.Remote("origin")
	if err != nil {
		if len(shallow) > 0 {
			return fmt.Sprintf("shallow clone with no origin remote to fetch its tags from: upgrade not tested; %s", ShallowHint)
		}
		return "" // a local repository without releases: nothing is hidden
	}
	if len(shallow) == 0 {
		// Complete history but no tags: only ask for them when the
		// remote has any (a recipe without releases is no problem).
		refs, err := remote.ListContext(ctx, &git.ListOptions{})
		if err != nil {
			return fmt.Sprintf("the clone has no tags and its origin cannot be asked for them (%s): upgrade not tested; %s", excerpt.FirstLine(err.Error()), ShallowHint)
		}
		if !hasTag(refs) {
			return ""
		}
	}
	opts := &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{"+refs/tags/*:refs/tags/*"},
		Tags:       git.AllTags,
	}
	if len(shallow) > 0 {
		opts.Depth = unshallowDepth
	}
	err = repo.FetchContext(ctx, opts)
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		what := "the clone has no tags"
		if len(shallow) > 0 {
			what = "shallow clone"
		}
		return fmt.Sprintf("%s, and fetching its tags from origin failed (%s): upgrade not tested; %s", what, excerpt.FirstLine(err.Error()), ShallowHint)
	}
	return ""
}

// unshallowDepth asks for the whole history, as git fetch --unshallow does.
const unshallowDepth = 1<<31 - 1

func countTags(repo *git.Repository) (int, error) {
	iter, err := repo.Tags()
	if err != nil {
		return 0, err
	}
	n := 0
	err = iter.ForEach(func(*plumbing.Reference) error { n++; return nil })
	return n, err
}

func hasTag(refs []*plumbing.Reference) bool {
	for _, r := range refs {
		if r.Name().IsTag() {
			return true
		}
	}
	return false
}
