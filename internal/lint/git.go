package lint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Rules read from the recipe's git repository: its tags and releases.

const plainFolder = "the recipe is a plain folder, not a git repository"

// repoView is the recipe's git repository, opened once per check.
type repoView struct {
	repo *git.Repository // nil for a plain folder
	err  error
}

type tagList struct {
	loaded      bool
	names       []string
	lightweight []string // tags that are not annotated tag objects
	err         error
}

func (in *Input) gitRepo() (*git.Repository, error) {
	if in.repo == nil {
		in.repo = &repoView{}
		in.repo.repo, in.repo.err = git.PlainOpen(in.dir())
		if errors.Is(in.repo.err, git.ErrRepositoryNotExists) {
			in.repo.err = nil
		}
	}
	return in.repo.repo, in.repo.err
}

// tagList lists the recipe repository's tags, once; ok is false for a plain folder.
func (in *Input) tagList() (t *tagList, ok bool) {
	repo, err := in.gitRepo()
	t = &in.tags
	if !t.loaded {
		t.loaded = true
		switch {
		case err != nil:
			t.err = err
		case repo != nil:
			t.names, t.lightweight, t.err = readTags(repo)
		}
	}
	return t, repo != nil || err != nil
}

func readTags(repo *git.Repository) (names, lightweight []string, err error) {
	iter, err := repo.Tags()
	if err != nil {
		return nil, nil, err
	}
	err = iter.ForEach(func(r *plumbing.Reference) error {
		names = append(names, r.Name().Short())
		_, err := repo.TagObject(r.Hash())
		switch {
		case errors.Is(err, plumbing.ErrObjectNotFound):
			lightweight = append(lightweight, r.Name().Short())
		case err != nil:
			return fmt.Errorf("tag %s: %w", r.Name().Short(), err)
		}
		return nil
	})
	sort.Strings(names)
	sort.Strings(lightweight)
	return names, lightweight, err
}

// versions are the recipe's releases, oldest first: the loaded recipe's,
// else read from the repository.
func (in *Input) versions() ([]recipe.Version, error) {
	if in.Recipe != nil {
		return in.Recipe.Versions, nil
	}
	return recipe.ListVersions(in.dir())
}

func annotatedTags(in *Input) ([]string, string) {
	t, ok := in.tagList()
	switch {
	case t.err != nil:
		return []string{"cannot list the tags: " + t.err.Error()}, ""
	case !ok:
		return nil, plainFolder
	case len(t.names) == 0:
		return nil, "the repository has no tags"
	}
	var out []string
	for _, name := range t.lightweight {
		out = append(out, "tag "+name+" is a lightweight tag")
	}
	return out, ""
}

func versionTags(in *Input) ([]string, string) {
	t, ok := in.tagList()
	switch {
	case t.err != nil:
		return []string{"cannot list the tags: " + t.err.Error()}, ""
	case !ok:
		return nil, plainFolder
	}
	var out []string
	for _, name := range t.names {
		if _, err := recipe.ParseVersion(name); err != nil {
			out = append(out, "tag "+name+" is not a version")
		}
	}
	return out, ""
}

func releases(in *Input) ([]string, string) {
	if _, ok := in.tagList(); !ok {
		return nil, plainFolder
	}
	v, err := in.versions()
	switch {
	case err != nil:
		return []string{"cannot list the releases: " + err.Error()}, ""
	case len(v) == 0:
		return []string{"no release tag"}, ""
	}
	return nil, ""
}

func releaseNotes(in *Input) ([]string, string) {
	v, err := in.versions()
	if err != nil || len(v) == 0 {
		return nil, "no release to have notes"
	}
	newest := v[len(v)-1]
	if strings.TrimSpace(newest.Notes) == "" {
		return []string{"release " + newest.Tag + " has no release/" + newest.Tag}, ""
	}
	return nil, ""
}

// configBumps compares every config and secret made from a file with the
// previous release (the release before the commit under test): a file
// that changed must come with a new value of a version variable in the
// object's name, or swarm refuses the upgrade ("only updates to Labels
// are allowed") and the app keeps its old config.
func configBumps(in *Input) ([]string, string) {
	repo, err := in.gitRepo()
	switch {
	case err != nil:
		return []string{"cannot open the repository: " + err.Error()}, ""
	case repo == nil:
		return nil, plainFolder
	}
	versions, err := in.versions()
	if err != nil {
		return []string{"cannot list the releases: " + err.Error()}, ""
	}
	prev, ok := recipe.PreviousVersion(versions, currentVersion(repo, versions, in.headCommit(repo)))
	if !ok {
		return nil, "no earlier release to compare with"
	}
	tree, err := commitTree(repo, prev.Commit)
	if err != nil {
		// A shallow clone has the tag but not its commit: nothing to
		// compare with is a skip, not a finding.
		return nil, fmt.Sprintf("release %s's files are not in the clone (%v): not compared", prev.Tag, err)
	}
	f := in.fileSet()
	now, then := f.vars(), previousVars(tree)
	var out []string
	n := 0
	for _, kind := range []string{"configs", "secrets"} {
		for _, o := range f.objects(kind) {
			if o.path == "" || o.external {
				continue
			}
			n++
			changed, err := changedSince(in.dir(), tree, o.path)
			if err != nil {
				out = append(out, fmt.Sprintf("%s: %s %s: %v", o.file, kind[:len(kind)-1], o.key, err))
			}
			if !changed {
				continue
			}
			out = append(out, bumpFindings(o, kind[:len(kind)-1], prev.Tag, now, then)...)
		}
	}
	if n == 0 {
		return nil, "no config or secret is made from a file"
	}
	return out, ""
}

func bumpFindings(o composeObject, kind, prev string, now, then map[string]string) []string {
	at := fmt.Sprintf("%s: %s %s: %s changed since %s", o.file, kind, o.key, o.path, prev)
	vv := versionVars(o.name)
	if len(vv) == 0 {
		return []string{at + " but its name carries no version variable to bump"}
	}
	for _, v := range vv {
		tmpl := "${" + v.name + ":-" + v.def + "}"
		if expand(tmpl, now) != expand(tmpl, then) {
			return nil // bumped
		}
	}
	v := vv[0]
	return []string{fmt.Sprintf("%s but %s is still %q", at, v.name, expand("${"+v.name+":-"+v.def+"}", now))}
}

// currentVersion is the release under test: the one tagged at head,
// unless the working tree has changes, which no release has yet.
func currentVersion(repo *git.Repository, versions []recipe.Version, head string) *recipe.Version {
	v := recipe.VersionAtCommit(versions, head)
	if v == nil {
		return nil
	}
	if wt, err := repo.Worktree(); err == nil {
		if st, err := wt.Status(); err == nil && !st.IsClean() {
			return nil
		}
	}
	return v
}

// headCommit is the commit under test: the loaded recipe's, else HEAD.
func (in *Input) headCommit(repo *git.Repository) string {
	if in.Recipe != nil && in.Recipe.Commit != "" {
		return in.Recipe.Commit
	}
	if head, err := repo.Head(); err == nil {
		return head.Hash().String()
	}
	return ""
}

func commitTree(repo *git.Repository, commit string) (*object.Tree, error) {
	c, err := repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return nil, err
	}
	return c.Tree()
}

// previousVars is the env of a release: its .env.sample, then abra.sh.
func previousVars(tree *object.Tree) map[string]string {
	f := &fileSet{}
	if s, err := fileAt(tree, ".env.sample"); err == nil {
		if env, err := recipe.ParseEnv(".env.sample", []byte(s)); err == nil {
			f.env = env.Map()
		}
	}
	if s, err := fileAt(tree, "abra.sh"); err == nil {
		f.abraSh, _ = recipe.ParseAbraSh("abra.sh", []byte(s))
	}
	return f.vars()
}

func fileAt(tree *object.Tree, path string) (string, error) {
	file, err := tree.File(path)
	if err != nil {
		return "", err
	}
	return file.Contents()
}

// changedSince says whether the file at path (relative to the recipe)
// differs from the release's; a file the release did not have is new, not
// changed.
func changedSince(dir string, tree *object.Tree, path string) (bool, error) {
	clean := filepath.ToSlash(filepath.Clean(path))
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return false, nil // outside the recipe: the model's load says so
	}
	now, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(clean)))
	if err != nil {
		return false, nil // missing: the model's load says so
	}
	then, err := fileAt(tree, clean)
	switch {
	case errors.Is(err, object.ErrFileNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return string(now) != then, nil
}
