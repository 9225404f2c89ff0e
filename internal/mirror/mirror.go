// Package mirror keeps a forge's mirror of an upstream git repository. It
// finds the mirror (a repository of that name that does not follow this
// upstream is someone else's, and refused), creates it or has it follow
// upstream, and waits until the mirror's branches and tags are exactly
// upstream's. A forge with pull mirrors (Gitea) fetches from upstream by
// itself and is asked to sync now; to a forge without (GitHub) every
// upstream branch and tag is pushed from a local clone, forced, and what
// upstream no longer has is deleted.
package mirror

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/sleep"
)

// Forge is what keeping a mirror needs of a forge: to read and create
// repositories and to reach them with git. A forge that is also a
// forge.MirrorSyncer keeps its mirrors up to date itself.
type Forge interface {
	forge.Repositories
	forge.Mirrors
}

// Both forges are mirror forges.
var _ Forge = forge.Forge(nil)

// Spec is a mirror of an upstream repository.
type Spec struct {
	Repo     forge.Repo // the mirror on the forge
	Upstream string     // the upstream repository's URL, which the mirror follows and names
	// Interval is how often a pull mirror syncs by itself; 0 = 8h.
	Interval time.Duration
	// Timeout bounds the wait for the mirror to show upstream's branches
	// and tags; 0 = 2 minutes.
	Timeout time.Duration
	Log     *slog.Logger
}

// Defaults of Spec.
const (
	DefaultInterval = 8 * time.Hour
	DefaultTimeout  = 2 * time.Minute
)

func (s Spec) withDefaults() Spec {
	if s.Interval == 0 {
		s.Interval = DefaultInterval
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Mirror is a mirror found on its forge, or to be created there.
type Mirror struct {
	f    Forge
	spec Spec
	// Info is the mirror's repository once it exists.
	Info forge.RepoInfo
	// Exists says whether the repository exists (yet).
	Exists bool
}

// Find looks spec.Repo up, creating nothing. A repository of that name
// that is not a mirror of spec.Upstream is refused: it is someone else's.
func Find(ctx context.Context, f Forge, spec Spec) (*Mirror, error) {
	m := &Mirror{f: f, spec: spec.withDefaults()}
	var err error
	if m.Info, m.Exists, err = f.Repository(ctx, spec.Repo); err != nil {
		return nil, err
	}
	if m.Exists {
		if err := m.check(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Pulls says whether the forge keeps the mirror up to date by itself (a
// pull mirror), rather than each Sync pushing to it.
func (m *Mirror) Pulls() bool {
	_, ok := m.f.(forge.MirrorSyncer)
	return ok
}

// check refuses a repository that does not follow this upstream.
func (m *Mirror) check() error {
	kind := "a mirror"
	if !m.Pulls() {
		kind = "a mirror made by recipe-test enroll (its homepage names the upstream)"
	} else if !m.Info.Mirror {
		return fmt.Errorf("%s exists and is not a pull mirror: rename or remove it, or choose another owner for the mirror", m.spec.Repo)
	}
	if !sameRepoURL(m.Info.OriginalURL, m.spec.Upstream) {
		return fmt.Errorf("%s exists but is not %s of %s (it names %q): rename or remove it, or choose another owner for the mirror",
			m.spec.Repo, kind, m.spec.Upstream, m.Info.OriginalURL)
	}
	return nil
}

// Sync creates the mirror when it does not exist, has it follow upstream
// and waits until its branches and tags are exactly those of clone, a
// clone of upstream with all its branches (as remote branches) and tags.
// It returns whether it created the mirror.
func (m *Mirror) Sync(ctx context.Context, clone *git.Repository) (created bool, err error) {
	want, err := upstreamRefs(clone)
	if err != nil {
		return false, fmt.Errorf("refs of %s: %w", m.spec.Upstream, err)
	}
	repo := m.spec.Repo
	syncer, pulls := m.f.(forge.MirrorSyncer)
	switch {
	case !m.Exists:
		desc := "Mirror of " + m.spec.Upstream + " (recipe-test)"
		if m.Info, err = m.f.CreateMirror(ctx, repo, m.spec.Upstream, m.spec.Interval, desc); err != nil {
			return false, err
		}
		m.Exists, created = true, true
		m.spec.Log.Info("mirror created", "mirror", repo, "upstream", m.spec.Upstream)
	case pulls:
		if err := syncer.SyncMirror(ctx, repo); err != nil {
			return false, err
		}
		m.spec.Log.Info("mirror sync requested", "mirror", repo)
	}
	auth, err := m.f.GitAuth(m.Info.CloneURL)
	if err != nil {
		return created, err
	}
	r := remote{url: m.Info.CloneURL, auth: auth}
	if !pulls {
		if err := r.push(ctx, clone, want); err != nil {
			return created, fmt.Errorf("push upstream's branches and tags to the mirror %s: %w", repo, err)
		}
	}
	return created, m.wait(ctx, r, want, syncer)
}

// resyncAfter is how long a pull mirror may take to catch up before it is
// asked to sync again; poll is how often its refs are listed meanwhile.
const (
	resyncAfter = 10 * time.Second
	poll        = 500 * time.Millisecond
)

// wait lists the mirror's refs until they are want. A forge queues sync
// requests and folds one that arrives while a sync of the same mirror is
// under way into it, which may have fetched before upstream's newest
// change: a pull mirror (syncer not nil) is asked again while waiting.
func (m *Mirror) wait(ctx context.Context, r remote, want Refs, syncer forge.MirrorSyncer) error {
	repo := m.spec.Repo
	deadline, asked := time.Now().Add(m.spec.Timeout), time.Now()
	for {
		have, err := r.list(ctx)
		if err != nil {
			return fmt.Errorf("list refs of the mirror %s: %w", repo, err)
		}
		missing, extra := want.diff(have)
		if len(missing) == 0 && len(extra) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the mirror %s differs from upstream after %s: %d refs missing or behind (%s), %d upstream no longer has (%s): check the forge's mirror log",
				repo, m.spec.Timeout, len(missing), strings.Join(first(missing, 5), ", "), len(extra), strings.Join(first(extra, 5), ", "))
		}
		if syncer != nil && time.Since(asked) > resyncAfter {
			if err := syncer.SyncMirror(ctx, repo); err != nil {
				return err
			}
			asked = time.Now()
		}
		if err := sleep.For(ctx, poll); err != nil {
			return fmt.Errorf("waiting for the mirror %s: %w", repo, err)
		}
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

// sameRepoURL says whether two URLs name the same repository: case,
// a trailing slash or .git, and credentials aside.
func sameRepoURL(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(strings.ToLower(s))
		s = strings.TrimSuffix(strings.TrimRight(s, "/"), ".git")
		if i := strings.Index(s, "://"); i >= 0 {
			rest := s[i+3:]
			if at := strings.LastIndex(rest[:max(strings.Index(rest, "/"), 0)], "@"); at >= 0 {
				rest = rest[at+1:] // credentials
			}
			s = s[:i+3] + rest
		}
		return s
	}
	return norm(a) == norm(b)
}

// SameRepoURL says whether two URLs name the same repository: case, a
// trailing slash or .git, and credentials aside.
func SameRepoURL(a, b string) bool { return sameRepoURL(a, b) }
