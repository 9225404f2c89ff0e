// Package enroll is the flow of `recipe-test enroll`: it enrolls a recipe
// that has no recipes/<name>/ folder yet, so that testing it beyond the
// generic floor is one review away:
//
//  1. it makes sure the CI's forge organisation has a mirror of the
//     upstream recipe repository that shows every upstream branch and tag
//     (internal/mirror: a Gitea pull mirror, synced when it exists; on
//     GitHub a repository recipe-test creates and pushes to);
//  2. it scaffolds recipes/<name>/ from what the recipe says of itself
//     (internal/scaffold);
//  3. it commits the scaffold on a branch named after the recipe in the
//     CI's own repository and opens one pull request, or updates it.
//
// Everything that can be checked is checked before anything is created:
// the name, an existing enrollment, the upstream repository (it must
// exist and be a recipe), the CI repository and the token's push access
// to it, an existing repository of the mirror's name. Running it again
// updates what exists and never duplicates it; a maintainer's commits on
// the branch are never overwritten.
package enroll

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
	"github.com/cc-ci/recipe-test/v2/internal/exitcode"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/giturl"
	"github.com/cc-ci/recipe-test/v2/internal/mirror"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/scaffold"
)

// Forge is what enrolling needs of a forge: the mirror's capabilities,
// the CI repository's (which mirror.Forge includes) and its pull request.
type Forge interface {
	mirror.Forge
	forge.PullRequests
	// Name names the forge in errors.
	Name() string
}

// Options say what to enroll and where.
type Options struct {
	Name     string // the recipe's name: recipes/<Name>, branch enroll/<Name>
	Upstream string // the recipe's git repository (URL or local path)
	Forge    Forge
	// Repo is the CI's own repository on the forge, which holds recipes/.
	Repo forge.Repo
	// MirrorOwner is the organisation (or user) the mirror goes to;
	// "" = Repo's owner. The mirror is MirrorOwner/Name.
	MirrorOwner string
	// MirrorInterval is a pull mirror's sync interval; 0 =
	// mirror.DefaultInterval.
	MirrorInterval time.Duration
	// SyncTimeout bounds the wait for the mirror to show upstream's refs;
	// 0 = mirror.DefaultTimeout.
	SyncTimeout time.Duration
	// CloneTimeout bounds each clone (the upstream, the CI repository):
	// an upstream that accepts and never answers must not hang the job;
	// 0 = 5 minutes.
	CloneTimeout time.Duration
	// RecipesDir is a local folder of enrollments that a new name must
	// not clash with ("" = none).
	RecipesDir string
	// Floor is the generic floor run's result, for the pull request body.
	Floor *results.Run
	// WorkDir holds the clones (the system temp dir when empty); they are
	// removed before Run returns.
	WorkDir string
	Log     *slog.Logger
}

// Result is what an enrollment did.
type Result struct {
	Detection *scaffold.Detection
	Mirror    forge.RepoInfo
	// MirrorCreated: the mirror is new; else it existed and was synced.
	MirrorCreated bool
	// MirrorPulls: the forge keeps the mirror up to date itself (a pull
	// mirror); else each enrollment pushes upstream's refs to it.
	MirrorPulls bool
	Branch      string
	// Commit is the scaffold commit pushed this time; "" when the branch
	// already held exactly this scaffold or was left alone.
	Commit string
	// Foreign lists a maintainer's commits on the branch; when there are
	// any, the scaffold was not rewritten.
	Foreign     []string
	PullRequest forge.PullRequest
	Files       map[string][]byte
}

// Folder is where enrollments live in the CI repository.
const Folder = "recipes"

// Branch is the enrollment branch of a recipe.
func Branch(name string) string { return "enroll/" + name }

// InputError is a problem found before anything was created: a bad name
// or upstream, a clash, a repository or token that cannot do the job (or
// a forge that could not be asked).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode makes it an exitcode.Coder.
func (e *InputError) ExitCode() int { return exitcode.Input }

// Run enrolls o.Name; see the package documentation.
func Run(ctx context.Context, o Options) (*Result, error) {
	res, err := o.preflight(ctx)
	if err != nil {
		return nil, &InputError{err}
	}
	defer os.RemoveAll(res.work)
	return o.apply(ctx, res)
}

// prepared is what preflight found.
type prepared struct {
	work    string
	up      *upstream
	det     *scaffold.Detection
	mirror  *mirror.Mirror
	ci      *ciClone
	foreign []string
}

// preflight checks everything that can be checked without creating
// anything.
func (o *Options) preflight(ctx context.Context) (_ *prepared, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MirrorOwner == "" {
		o.MirrorOwner = o.Repo.Owner
	}
	if o.CloneTimeout == 0 {
		o.CloneTimeout = 5 * time.Minute
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(o.WorkDir, "enroll-")
	if err != nil {
		return nil, fmt.Errorf("enroll %s: work dir: %w", o.Name, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(work)
		}
	}()
	up, err := o.fetchUpstream(ctx, work)
	if err != nil {
		return nil, err
	}
	det, err := scaffold.Detect(up.dir, up.versions)
	if err != nil {
		return nil, fmt.Errorf("enroll %s: upstream %s is not a recipe: %w", o.Name, o.Upstream, inClone{err, up.dir})
	}
	if _, err := scaffold.Files(det, scaffold.Options{Name: o.Name, Upstream: o.Upstream}); err != nil {
		return nil, fmt.Errorf("enroll %s: scaffold: %w", o.Name, err)
	}
	mirrorRepo := forge.Repo{Owner: o.MirrorOwner, Name: o.Name}
	if mirrorRepo == o.Repo {
		return nil, fmt.Errorf("enroll %s: the mirror %s would be the CI repository itself: choose another mirror owner", o.Name, mirrorRepo)
	}
	m, err := mirror.Find(ctx, o.Forge, mirror.Spec{Repo: mirrorRepo, Upstream: o.Upstream,
		Interval: o.MirrorInterval, Timeout: o.SyncTimeout, Log: o.Log})
	if err != nil {
		return nil, fmt.Errorf("enroll %s: %w", o.Name, err)
	}
	ci, err := o.openCI(ctx, work)
	if err != nil {
		return nil, err
	}
	foreign, err := ci.foreignCommits()
	if err != nil {
		return nil, fmt.Errorf("enroll %s: read branch %s: %w", o.Name, Branch(o.Name), err)
	}
	return &prepared{work: work, up: up, det: det, mirror: m, ci: ci, foreign: foreign}, nil
}

// apply makes the mirror, the branch and the pull request.
func (o Options) apply(ctx context.Context, p *prepared) (*Result, error) {
	res := &Result{Detection: p.det, Branch: Branch(o.Name), Foreign: p.foreign}
	ci := p.ci
	var err error
	if res.MirrorCreated, err = p.mirror.Sync(ctx, p.up.repo); err != nil {
		return nil, fmt.Errorf("enroll %s: %w", o.Name, err)
	}
	res.Mirror, res.MirrorPulls = p.mirror.Info, p.mirror.Pulls()

	// The scaffold, on the branch.
	if res.Files, err = scaffold.Files(p.det, scaffold.Options{Name: o.Name, Upstream: o.Upstream, Mirror: res.Mirror.CloneURL}); err != nil {
		return nil, fmt.Errorf("enroll %s: scaffold: %w", o.Name, err)
	}
	if len(res.Foreign) == 0 {
		h, err := ci.commitScaffold(Folder+"/"+o.Name, res.Files, fmt.Sprintf("Enroll recipe %s\n\nScaffold of recipes/%s from %s.", o.Name, o.Name, o.Upstream))
		if err != nil {
			return nil, fmt.Errorf("enroll %s: %w", o.Name, err)
		}
		if !h.IsZero() || ci.branchTip.IsZero() {
			if err := ci.push(ctx); err != nil {
				return nil, fmt.Errorf("enroll %s: push branch %s to %s: %w (the mirror %s is in place; run enroll again once the push can succeed)",
					o.Name, res.Branch, o.Repo, pushHint(err), res.Mirror.Repo)
			}
			if !h.IsZero() {
				res.Commit = h.String()
			}
		}
		o.Log.Info("enroll: branch", "branch", res.Branch, "commit", res.Commit)
	} else {
		o.Log.Warn("enroll: the branch has a maintainer's commits; the scaffold was left as it is", "branch", res.Branch, "commits", res.Foreign)
	}

	// The pull request.
	res.PullRequest, err = o.Forge.UpsertPullRequest(ctx, o.Repo, forge.PullRequestSpec{
		Head: res.Branch, Base: ci.base, Title: "Enroll recipe " + o.Name, Rebody: Rebody(o, res)})
	if err != nil {
		return nil, fmt.Errorf("enroll %s: %w (the branch %s is pushed; run enroll again to open the pull request)", o.Name, err, res.Branch)
	}
	return res, nil
}

func (o *Options) check() error {
	switch {
	case scaffold.CheckName(o.Name) != nil:
		return fmt.Errorf("enroll: recipe name %q: use 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", o.Name)
	case strings.TrimSpace(o.Upstream) == "":
		return fmt.Errorf("enroll %s: --upstream is required (the recipe's git repository)", o.Name)
	case hasCredentials(o.Upstream):
		return fmt.Errorf("enroll %s: --upstream carries credentials: they would be written into recipe.toml, the pull request and the mirror's settings; give the repository's public URL", o.Name)
	case o.Forge == nil:
		return fmt.Errorf("enroll %s: a forge is required (--forge github|gitea)", o.Name)
	case o.Repo.Owner == "" || o.Repo.Name == "":
		return fmt.Errorf("enroll %s: --repo is required (the CI repository on the forge, OWNER/NAME)", o.Name)
	}
	if o.RecipesDir != "" {
		if e, ok, err := enrollment.Find(o.RecipesDir, o.Name); err != nil {
			return fmt.Errorf("enroll %s: %w", o.Name, err)
		} else if ok {
			return fmt.Errorf("enroll %s: recipe %s is already enrolled (%s): pick another name, or edit that enrollment", o.Name, o.Name, e.File)
		}
	}
	return nil
}

type upstream struct {
	repo     *git.Repository
	dir      string
	versions []recipe.Version
}

// fetchUpstream clones the upstream repository with all branches and tags
// and checks out its default branch.
func (o Options) fetchUpstream(ctx context.Context, work string) (*upstream, error) {
	url := o.Upstream
	if !giturl.Is(url) {
		abs, err := filepath.Abs(url)
		if err != nil {
			return nil, fmt.Errorf("enroll %s: upstream %s: %w", o.Name, url, err)
		}
		url = "file://" + abs
	}
	cctx, cancel := context.WithTimeout(ctx, o.CloneTimeout)
	defer cancel()
	src, err := recipe.Fetch(cctx, url, "", filepath.Join(work, "upstream"))
	if err != nil && cctx.Err() != nil && ctx.Err() == nil {
		err = fmt.Errorf("not done within the clone timeout (%s): %w", o.CloneTimeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("enroll %s: upstream %s cannot be cloned: %w (check the URL; the repository must be public)", o.Name, o.Upstream, err)
	}
	repo, err := git.PlainOpen(src.Dir)
	if err != nil {
		return nil, fmt.Errorf("enroll %s: open clone of %s: %w", o.Name, o.Upstream, err)
	}
	up := &upstream{repo: repo, dir: src.Dir}
	if up.versions, err = recipe.ListVersions(src.Dir); err != nil {
		return nil, fmt.Errorf("enroll %s: versions of %s: %w", o.Name, o.Upstream, err)
	}
	return up, nil
}

// hasCredentials reports whether a URL names a password or token
// (https://user:secret@host/...).
func hasCredentials(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
}

// openCI checks the CI repository and the token's push access, clones its
// default branch and refuses a name already enrolled there.
func (o Options) openCI(ctx context.Context, work string) (*ciClone, error) {
	info, ok, err := o.Forge.Repository(ctx, o.Repo)
	if err != nil {
		return nil, fmt.Errorf("enroll %s: %w", o.Name, err)
	}
	if !ok {
		return nil, fmt.Errorf("enroll %s: the CI repository %s was not found on %s (check --repo and the token's access)", o.Name, o.Repo, o.Forge.Name())
	}
	if !info.CanPush {
		return nil, fmt.Errorf("enroll %s: the token cannot push to %s: it needs write access to open the enrollment branch", o.Name, o.Repo)
	}
	if info.Empty || info.DefaultBranch == "" {
		return nil, fmt.Errorf("enroll %s: the CI repository %s is empty: it needs a default branch to open a pull request against", o.Name, o.Repo)
	}
	auth, err := o.Forge.GitAuth(info.CloneURL)
	if err != nil {
		return nil, fmt.Errorf("enroll %s: %w", o.Name, err)
	}
	cctx, cancel := context.WithTimeout(ctx, o.CloneTimeout)
	defer cancel()
	ci, err := cloneCI(cctx, filepath.Join(work, "ci"), info.CloneURL, auth, info.DefaultBranch, Branch(o.Name))
	if err != nil {
		return nil, fmt.Errorf("enroll %s: %w", o.Name, err)
	}
	enrolled, err := ci.baseHas(Folder + "/" + o.Name + "/" + enrollment.FileName)
	if err != nil {
		return nil, fmt.Errorf("enroll %s: read %s: %w", o.Name, o.Repo, err)
	}
	if enrolled {
		return nil, fmt.Errorf("enroll %s: recipe %s is already enrolled in %s (%s/%s/%s on %s): pick another name, or edit that enrollment",
			o.Name, o.Name, o.Repo, Folder, o.Name, enrollment.FileName, info.DefaultBranch)
	}
	return ci, nil
}

// inClone names the files of a clone relative to it in an error: the
// temporary folder means nothing to the reader.
type inClone struct {
	err error
	dir string
}

func (e inClone) Error() string {
	msg := strings.ReplaceAll(e.err.Error(), e.dir+string(filepath.Separator), "")
	msg = strings.ReplaceAll(msg, "scaffold "+e.dir+": ", "")
	return strings.TrimPrefix(msg, "not a recipe: ")
}

func (e inClone) Unwrap() error { return e.err }

func pushHint(err error) error {
	if errors.Is(err, git.ErrNonFastForwardUpdate) {
		return fmt.Errorf("%w: the branch moved while enrolling", err)
	}
	return err
}
