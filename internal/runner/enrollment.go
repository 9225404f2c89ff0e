package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/lifecycle"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// locate returns where the recipe is: the recipe as given (a folder or a
// git URL), or, when it is the name of an enrolled recipe and no such
// folder exists, the upstream repository or bundled path its recipe.toml
// names (and its default ref).
func (r *Run) locate() (string, string, error) {
	loc, ref := r.cfg.source.Recipe, r.cfg.source.Ref
	if strings.ContainsAny(loc, "/:") {
		return loc, ref, nil
	}
	if _, err := os.Stat(loc); err == nil && !r.enrolledOnly {
		return loc, ref, nil
	}
	e, ok, err := enrollment.Find(r.cfg.source.RecipesDir, loc)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return loc, ref, nil // recipe.Open says it does not exist
	}
	r.Enrollment = e
	switch {
	case e.Recipe.Mirror != "":
		loc = e.Recipe.Mirror
	case e.Recipe.Upstream != "":
		loc = e.Recipe.Upstream
	case filepath.IsAbs(e.Recipe.Path):
		loc = e.Recipe.Path
	case e.Recipe.Path != "":
		loc = filepath.Join(e.Dir, e.Recipe.Path)
	default:
		return "", "", fmt.Errorf("%s: [recipe] names neither upstream nor path, so recipe %q cannot be found", e.File, r.cfg.source.Recipe)
	}
	if ref == "" {
		ref = e.Recipe.Ref
	}
	r.Logf("plan: enrolled recipe %s from %s", r.cfg.source.Recipe, loc)
	return loc, ref, nil
}

// findEnrollment loads the enrollment: --enrollment, else the one found
// by name (locate), else RecipesDir/<name> when it exists.
func (r *Run) findEnrollment(name string) error {
	var err error
	switch {
	case r.cfg.source.Enrollment != "":
		r.Enrollment, err = enrollment.Load(r.cfg.source.Enrollment)
	case r.Enrollment == nil:
		var ok bool
		if r.Enrollment, ok, err = enrollment.Find(r.cfg.source.RecipesDir, name); ok {
			r.Logf("plan: enrollment %s", r.Enrollment.File)
		} else if err == nil {
			r.Logf("plan: recipe %s is not enrolled: the generic floor only (`recipe-test enroll %s --upstream GIT-URL ...` proposes an enrollment)", name, name)
		}
	}
	return err
}

// applyEnrollment fills what the caller left to the recipe's recipe.toml:
// stages, the readiness probe.
func (r *Run) applyEnrollment() {
	e := r.Enrollment
	if !r.cfg.stagesGiven && len(e.Stages) > 0 {
		if stages, err := lifecycle.Select(e.Stages); err == nil { // checked when loaded
			r.cfg.stages = stages
		}
	}
	if r.cfg.ingress.Probe.Path == "" {
		r.cfg.ingress.Probe.Path = e.Probe.Path
	}
	if len(r.cfg.ingress.Probe.Statuses) == 0 {
		r.cfg.ingress.Probe.Statuses = e.Probe.Statuses
	}
}

// grants returns the deploy policy grants of the enrollment. Grants are
// honoured only from a reviewed enrollment: one found inside the recipe
// under test, or in a folder of Source.NoGrantsFrom, is the recipe's or the
// pull request's own word, so its grants stop the run.
func (r *Run) grants(rec *recipe.Recipe) ([]recipe.Grant, error) {
	grants := r.Enrollment.Grants()
	if len(grants) == 0 {
		return nil, nil
	}
	recipeDir, err := filepath.EvalSymlinks(rec.Dir)
	if err != nil {
		return nil, fmt.Errorf("recipe folder: %w", err)
	}
	enrollDir, err := filepath.Abs(r.Enrollment.Dir)
	if err == nil {
		enrollDir, err = filepath.EvalSymlinks(enrollDir)
	}
	if err != nil {
		return nil, fmt.Errorf("enrollment folder: %w", err)
	}
	if within(enrollDir, recipeDir) {
		return nil, &recipe.ConfigError{File: r.Enrollment.File, Key: "policy.grant",
			Msg: "grants are honoured only from a reviewed enrollment outside the recipe under test, and this recipe.toml is inside the recipe's own folder " + rec.Dir}
	}
	for _, dir := range r.cfg.source.NoGrantsFrom {
		if real, err := filepath.EvalSymlinks(dir); err == nil && within(enrollDir, real) {
			return nil, &recipe.ConfigError{File: r.Enrollment.File, Key: "policy.grant",
				Msg: "grants are honoured only from a reviewed enrollment, and this recipe.toml is in " + dir + ", which the pull request under test controls (use the enrollments in the action image, or merge the grant first)"}
		}
	}
	return grants, nil
}

// within reports whether path is dir or below it (both resolved).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// addGrants records the grants a resolved app used in the results, once
// each (the head and an upgrade's base release may use the same ones).
func (r *Run) addGrants(used []recipe.Grant) {
	for _, g := range used {
		rg := results.Grant{Service: g.Service, Key: g.Key, Value: g.Value, Reason: g.Reason}
		if !slices.Contains(r.Result.Grants, rg) {
			r.Result.Grants = append(r.Result.Grants, rg)
			r.Logf("plan: deploy policy grant %s used: %s", g, g.Reason)
		}
	}
}
