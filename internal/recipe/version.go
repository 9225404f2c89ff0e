package recipe

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// ErrNotVersion is wrapped by ParseVersion errors: the tag is not a recipe
// version. Version listings skip such tags ("latest", "test-foo", ...).
var ErrNotVersion = errors.New("not a recipe version tag")

// Version is one released version of a recipe, as named by a git tag.
//
// Tags have the form [v]RECIPE[+UPSTREAM]: RECIPE is the recipe's own semantic
// version (MAJOR.MINOR.PATCH with an optional -PRERELEASE) and UPSTREAM, after
// the first "+", is the packaged app's version as the maintainer wrote it; it
// can be anything ("3.4.5", "1.0.5-social-amd64", "17-3.5", "latest"). For
// example "1.2.0+3.4.5" is recipe version 1.2.0 of upstream version 3.4.5.
type Version struct {
	Tag      string          // the git tag exactly as written
	Recipe   *semver.Version // the recipe part
	Upstream string          // the upstream part; "" when the tag has no "+"
	Notes    string          // release notes from release/<tag>; may be empty
	Commit   string          // commit hash the tag points to; "" when unknown
}

// ParseVersion parses a version tag (see Version for the format). An optional
// leading "v" is accepted. The error wraps ErrNotVersion when the recipe part
// is not a semantic version.
func ParseVersion(tag string) (Version, error) {
	s := strings.TrimPrefix(strings.TrimSpace(tag), "v")
	recipePart, upstream, hasPlus := strings.Cut(s, "+")
	if hasPlus && upstream == "" {
		return Version{}, fmt.Errorf("tag %q: empty upstream version after \"+\": %w", tag, ErrNotVersion)
	}
	rv, err := semver.StrictNewVersion(recipePart)
	if err != nil {
		return Version{}, fmt.Errorf("tag %q: recipe part %q is not a semantic version (want MAJOR.MINOR.PATCH[+UPSTREAM]): %w: %w",
			tag, recipePart, ErrNotVersion, err)
	}
	return Version{Tag: tag, Recipe: rv, Upstream: upstream}, nil
}

// String returns the tag.
func (v Version) String() string { return v.Tag }

// Less orders versions by recipe semantic version (so 1.10.0 comes after
// 1.9.0 and 2.0.0-rc.1 before 2.0.0). Only when the recipe versions are equal
// does the upstream string decide, then the tag itself, so the order is total.
// A Version without a parsed recipe part sorts first.
func (v Version) Less(o Version) bool {
	return compareVersions(v, o) < 0
}

func compareVersions(a, b Version) int {
	switch {
	case a.Recipe == nil && b.Recipe != nil:
		return -1
	case a.Recipe != nil && b.Recipe == nil:
		return 1
	case a.Recipe != nil && b.Recipe != nil:
		if c := a.Recipe.Compare(b.Recipe); c != 0 {
			return c
		}
	}
	if c := strings.Compare(a.Upstream, b.Upstream); c != 0 {
		return c
	}
	return strings.Compare(a.Tag, b.Tag)
}

// SortVersions sorts versions in place, oldest first (see Version.Less).
func SortVersions(versions []Version) {
	slices.SortStableFunc(versions, compareVersions)
}

// PreviousVersion returns the version to upgrade from when testing current.
//
// The rule: when current is known (the ref under test is a version tag), it is
// the newest version strictly older than current (Version.Less). When current
// is nil (the ref under test is a branch or a commit that no tag names), it is
// the newest version overall. Callers testing a commit find current with
// VersionAtCommit, so a commit that is itself the newest release is compared
// with the release before it. The bool is false when there is none.
func PreviousVersion(versions []Version, current *Version) (Version, bool) {
	var best Version
	found := false
	for _, v := range versions {
		if current != nil && (v.Tag == current.Tag || !v.Less(*current)) {
			continue
		}
		if !found || best.Less(v) {
			best, found = v, true
		}
	}
	return best, found
}

// VersionAtCommit returns the newest version whose tag points at commit, or
// nil when no version tag does (or commit is empty).
func VersionAtCommit(versions []Version, commit string) *Version {
	if commit == "" {
		return nil
	}
	var best *Version
	for i := range versions {
		if versions[i].Commit == commit && (best == nil || best.Less(versions[i])) {
			best = &versions[i]
		}
	}
	return best
}

// ListVersions returns the versions tagged in the git repository at dir,
// oldest first. Lightweight and annotated tags count alike (Commit is the
// commit an annotated tag points to); tags that are not versions are skipped.
// Notes come from release/<tag> in the working tree at dir (empty when the
// file is missing). A plain folder that is not a git repository has no
// versions and no error.
func ListVersions(dir string) ([]Version, error) {
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening git repository %s: %w", dir, err)
	}
	tags, err := repo.Tags()
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", dir, err)
	}
	var versions []Version
	err = tags.ForEach(func(ref *plumbing.Reference) error {
		v, err := ParseVersion(ref.Name().Short())
		if err != nil {
			return nil // not a version tag
		}
		commit, err := peelToCommit(repo, ref.Hash())
		if err != nil {
			return fmt.Errorf("tag %s: %w", v.Tag, err)
		}
		v.Commit = commit.String()
		if v.Notes, err = readNotes(dir, v.Tag); err != nil {
			return err
		}
		versions = append(versions, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing versions of %s: %w", dir, err)
	}
	SortVersions(versions)
	return versions, nil
}

// readNotes reads release/<tag>, falling back to the name without a leading
// "v"; a missing file means no notes.
func readNotes(dir, tag string) (string, error) {
	names := []string{tag}
	if t := strings.TrimPrefix(tag, "v"); t != tag {
		names = append(names, t)
	}
	for _, name := range names {
		rel := "release/" + name
		b, err := readFile(dir, rel)
		if err == nil {
			return string(b), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", &ConfigError{File: rel, Key: tag, Msg: "cannot read release notes", Err: err}
		}
	}
	return "", nil
}
