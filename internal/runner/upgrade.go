package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/datacheck"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// upgradePlan is the upgrade's starting point, found at plan time.
type upgradePlan struct {
	skip    string      // why there is no upgrade to test; "" = there is
	version string      // the base release's tag
	app     *recipe.App // the base release resolved for the run's domain
	err     error       // the base release could not be loaded
}

// planUpgrade finds the release to upgrade from: --upgrade-from, else the
// enrollment's upgrade.base, else the newest release older than the ref
// under test. Naming a release the recipe does not have is bad input; a
// recipe with no earlier release has no upgrade to test (the stage skips,
// saying why); a base release that does not load fails the upgrade stage.
func (r *Run) planUpgrade(ctx context.Context) error {
	u := &r.upgrade
	versions := r.Recipe.Versions
	want, source, key := r.cfg.source.UpgradeFrom, "--upgrade-from", ""
	if want == "" && r.Enrollment != nil && r.Enrollment.Upgrade.Base != "" {
		want, source, key = r.Enrollment.Upgrade.Base, r.Enrollment.File, "upgrade.base"
	}
	var base recipe.Version
	switch {
	case want != "":
		i := slices.IndexFunc(versions, func(v recipe.Version) bool {
			return v.Tag == want || strings.TrimPrefix(v.Tag, "v") == strings.TrimPrefix(want, "v")
		})
		if i < 0 {
			return &recipe.ConfigError{File: source, Key: key,
				Msg: fmt.Sprintf("names release %q, which recipe %s does not have (releases: %s)", want, r.Recipe.Name, tagList(versions))}
		}
		base = versions[i]
	case len(versions) == 0 && r.Recipe.HistoryWarning != "":
		u.skip = "no releases found: " + r.Recipe.HistoryWarning
		return nil
	case len(versions) == 0:
		u.skip = fmt.Sprintf("recipe %s has no releases (no version tags in its git history): nothing to upgrade from", r.Recipe.Name)
		return nil
	default:
		current := recipe.VersionAtCommit(versions, r.Recipe.Commit)
		prev, ok := recipe.PreviousVersion(versions, current)
		if !ok {
			u.skip = fmt.Sprintf("release %s is the first: there is no earlier release to upgrade from", current.Tag)
			return nil
		}
		base = prev
	}
	u.version = base.Tag
	r.Result.BaseVersion = base.Tag
	app, err := r.loadRelease(ctx, base.Tag)
	if err != nil {
		u.err = fmt.Errorf("release %s: %w", base.Tag, err)
		r.Logf("upgrade: cannot load the base release: %v", u.err)
		return nil
	}
	u.app = app
	r.Logf("plan: upgrade from release %s to %s", base.Tag, orUnknown(r.App.Version, r.Recipe.Commit))
	return nil
}

// loadRelease checks the recipe out at tag (from its local clone, with the
// run's env assignments) and resolves it for the run's domain, so that it
// deploys to the same stack.
func (r *Run) loadRelease(ctx context.Context, tag string) (*recipe.App, error) {
	rec, err := r.open(ctx, r.Recipe.Dir, tag)
	if err != nil {
		return nil, err
	}
	if len(r.extraEnv) > 0 {
		if err := rec.Set("--env", r.extraEnv...); err != nil {
			return nil, err
		}
	}
	grants, err := r.grants(rec)
	if err != nil {
		return nil, err
	}
	app, err := rec.Resolve(recipe.ResolveOptions{Domain: r.App.Domain, Grants: grants})
	if err != nil {
		return nil, err
	}
	r.addGrants(app.Grants)
	return app, nil
}

func tagList(versions []recipe.Version) string {
	if len(versions) == 0 {
		return "none"
	}
	var tags []string
	for _, v := range versions {
		tags = append(tags, v.Tag)
	}
	return strings.Join(tags, ", ")
}

func orUnknown(version, commit string) string {
	return results.ReleaseName(version, commit)
}

// releaseOf names the release app is: the base release's tag, else the
// head's name (results.Run.HeadRelease); "" for nil.
func (r *Run) releaseOf(app *recipe.App) string {
	switch {
	case app == nil:
		return ""
	case app == r.upgrade.app:
		return r.upgrade.version
	}
	return r.Result.HeadRelease()
}

// upgrade starts from a fresh base release: it removes what install
// deployed (the head, with its volumes), deploys the base release, seeds
// data, redeploys the same stack with the ref under test in place (as
// `abra app deploy --chaos` does), and checks convergence, readiness and
// that the seeded data is still there. Its error names the step that
// failed: remove, base deploy, seed, upgrade deploy/converge, readiness or
// data check.
type upgrade struct{}

func (upgrade) Name() string { return StageUpgrade }

func (upgrade) Run(ctx context.Context, r *Run, rec *Record) error {
	u := r.upgrade
	if u.skip != "" {
		return Skip("%s", u.skip)
	}
	if u.err != nil {
		return fmt.Errorf("base deploy: %w", u.err)
	}
	if r.Deployed != nil {
		// The upgrade starts from the base release alone, on empty
		// volumes, as an operator's server running it would.
		r.Logf("removing stack %s with its volumes: the upgrade starts from a fresh release %s", r.App.Stack, u.version)
		if err := r.removeStack(ctx); err != nil {
			return fmt.Errorf("remove: %w", err)
		}
		r.Deployed = nil
	}
	r.Logf("deploying release %s", u.version)
	if err := r.deploy(ctx, rec, u.app); err != nil {
		return fmt.Errorf("base deploy: %w", err)
	}
	if err := r.ready(ctx, rec); err != nil {
		return fmt.Errorf("base %w", err)
	}
	check := r.checker(u.app)
	marker := newMarker(r.Result.RunID)
	verifiable := true
	if err := check.Seed(ctx, marker); errors.Is(err, datacheck.ErrUnverifiable) {
		verifiable = false
		r.Logf("no data check: %v", err)
		rec.Note("no data check: %v", err)
	} else if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	head := orUnknown(r.App.Version, r.Recipe.Commit)
	r.Logf("upgrading in place from release %s to %s", u.version, head)
	if err := r.deploy(ctx, rec, r.App); err != nil {
		return fmt.Errorf("upgrade %w", err)
	}
	if err := r.ready(ctx, rec); err != nil {
		return err
	}
	if verifiable {
		if err := check.Verify(ctx, marker); err != nil {
			return fmt.Errorf("data check: the data seeded into release %s is not there after the upgrade to %s: %w", u.version, head, err)
		}
		r.Logf("data check: the data seeded into %s survived the upgrade (%s)", u.version, check.Describe())
		rec.Note("upgraded from %s to %s; data checked with %s", u.version, head, check.Describe())
	} else {
		rec.Note("upgraded from %s to %s", u.version, head)
	}
	return nil
}
