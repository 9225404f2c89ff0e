// Package mirrorsync brings the mirror an enrolled recipe is fetched from
// level with its upstream: recipe.toml's [recipe] mirror (made by
// `recipe-test enroll`) names the mirror, [recipe] upstream what it
// follows. A Gitea pull mirror is asked to sync now; a GitHub mirror, which
// nothing updates but recipe-test, gets every upstream branch and tag
// pushed (internal/mirror). `recipe-test mirror sync` syncs on a schedule,
// `recipe-test run --sync-mirror` before a run of the recipe.
package mirrorsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/mirror"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// ErrNoMirror is the error of an enrollment that names no mirror: the
// recipe is fetched from its upstream (or a bundled folder) directly.
var ErrNoMirror = errors.New("no mirror")

// Options say how to reach the mirrors.
type Options struct {
	// Forge is the forge the mirrors are on.
	Forge mirror.Forge
	// Timeout bounds the wait for a mirror to show upstream's branches
	// and tags; 0 = mirror.DefaultTimeout.
	Timeout time.Duration
	// CloneTimeout bounds the clone of upstream; 0 = 5 minutes.
	CloneTimeout time.Duration
	// WorkDir holds the clone of upstream (the system temp dir when
	// empty); it is removed before Sync returns.
	WorkDir string
	Log     *slog.Logger
}

// Result is one mirror brought level.
type Result struct {
	Recipe string
	Mirror forge.Repo
	URL    string // recipe.toml's mirror
	// Pulls: a pull mirror, asked to sync; else upstream's refs were pushed.
	Pulls bool
}

// Sync brings the mirror of the enrolled recipe e level with its
// upstream and waits until it shows exactly upstream's branches and tags.
// An enrollment without a mirror is ErrNoMirror. The mirror must exist
// and follow e's upstream: Sync never creates one (enroll does, with its
// pull request). Every error names the recipe and the mirror.
func Sync(ctx context.Context, e *enrollment.Enrollment, o Options) (Result, error) {
	name := e.Name()
	res := Result{Recipe: name, URL: e.Recipe.Mirror}
	if e.Recipe.Mirror == "" {
		return res, fmt.Errorf("recipe %s: %s names no mirror ([recipe] mirror): %w", name, e.File, ErrNoMirror)
	}
	if o.Forge == nil {
		return res, fmt.Errorf("recipe %s: a forge is required to sync its mirror %s", name, e.Recipe.Mirror)
	}
	repo, err := RepoOf(e.Recipe.Mirror)
	if err != nil {
		return res, fmt.Errorf("recipe %s: %s: [recipe] mirror: %w", name, e.File, err)
	}
	res.Mirror = repo
	fail := func(format string, args ...any) (Result, error) {
		return res, fmt.Errorf("recipe %s: mirror %s: %w", name, repo, fmt.Errorf(format, args...))
	}
	m, err := mirror.Find(ctx, o.Forge, mirror.Spec{Repo: repo, Upstream: e.Recipe.Upstream, Timeout: o.Timeout, Log: o.Log})
	if err != nil {
		return fail("%w", err)
	}
	if !m.Exists {
		return fail("not found on the forge (recipe.toml names %s): recipe-test enroll makes a recipe's mirror", e.Recipe.Mirror)
	}
	if !mirror.SameRepoURL(m.Info.CloneURL, e.Recipe.Mirror) {
		return fail("the forge clones it from %s, not %s as %s says: check recipe.toml's mirror and the forge", m.Info.CloneURL, e.Recipe.Mirror, e.File)
	}
	res.Pulls = m.Pulls()
	clone, cleanup, err := cloneUpstream(ctx, e.Recipe.Upstream, o)
	if err != nil {
		return fail("%w", err)
	}
	defer cleanup()
	if _, err := m.Sync(ctx, clone); err != nil {
		return fail("%w", err)
	}
	return res, nil
}

// RepoOf is the repository a clone URL names on its forge: the last two
// segments of its path (https://git.example.org/cc-ci/app.git is
// cc-ci/app).
func RepoOf(cloneURL string) (forge.Repo, error) {
	p := cloneURL
	if u, err := url.Parse(cloneURL); err == nil && u.Scheme != "" {
		p = u.Path
	} else if _, rest, ok := strings.Cut(cloneURL, ":"); ok { // git@host:owner/name.git
		p = rest
	}
	parts := strings.FieldsFunc(strings.TrimSuffix(strings.TrimRight(p, "/"), ".git"), func(r rune) bool { return r == '/' })
	if len(parts) < 2 {
		return forge.Repo{}, fmt.Errorf("%q names no OWNER/NAME repository", cloneURL)
	}
	return forge.ParseRepo(parts[len(parts)-2] + "/" + parts[len(parts)-1])
}

// cloneUpstream clones upstream with every branch and tag, as enroll does.
func cloneUpstream(ctx context.Context, upstream string, o Options) (*git.Repository, func(), error) {
	if strings.TrimSpace(upstream) == "" {
		return nil, nil, errors.New("recipe.toml names no upstream for the mirror to follow ([recipe] upstream)")
	}
	work, err := os.MkdirTemp(o.WorkDir, "mirror-sync-")
	if err != nil {
		return nil, nil, fmt.Errorf("work dir: %w", err)
	}
	cleanup := func() { os.RemoveAll(work) }
	timeout := o.CloneTimeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	src, err := recipe.Fetch(cctx, upstream, "", filepath.Join(work, "upstream"))
	if err != nil && cctx.Err() != nil && ctx.Err() == nil {
		err = fmt.Errorf("not done within the clone timeout (%s): %w", timeout, err)
	}
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("upstream %s cannot be cloned: %w", upstream, err)
	}
	repo, err := git.PlainOpen(src.Dir)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("open the clone of %s: %w", upstream, err)
	}
	return repo, cleanup, nil
}
