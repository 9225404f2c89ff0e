package lint

import (
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Load reads the recipe fetched at src for linting as far as it loads:
// its own files, its versions, then its compose model resolved for
// domain. Whatever fails is kept in Err, and the rules that need it are
// skipped; the rules reading files still run (`recipe-test lint` then
// reports them and exits 2, as for any recipe that cannot be loaded).
func Load(src *recipe.Source, domain string) *Input {
	in := &Input{Dir: src.Dir}
	r, err := recipe.LoadDir(src.Dir)
	if err != nil {
		in.Err = err
		return in
	}
	r.Location, r.Ref, r.Commit = src.Location, src.Ref, src.Commit
	if src.IsGit {
		if r.Versions, err = recipe.ListVersions(src.Dir); err != nil {
			in.Err = err
			return in
		}
	}
	in.Recipe = r
	if in.App, err = r.Resolve(recipe.ResolveOptions{Domain: domain}); err != nil {
		in.Err = err
	}
	return in
}
