package publish

import (
	"context"
	"fmt"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Baseline finds the base branch's last result of a recipe, for the
// comment's delta line ("L5 on main, L3 here"). It is where every source
// of that result plugs in: a results.json the caller supplies (BaseFile),
// or a history of results kept in a branch, which a reader of that
// history can implement without this package knowing it.
type Baseline interface {
	// Last returns the recipe's last result on the base branch; nil and
	// no error when there is none.
	Last(ctx context.Context, recipe string) (*results.Run, error)
}

// BaseFile is a results.json the caller names as the base branch's last
// result of the recipe.
type BaseFile string

// Last reads the file; a result of another recipe is an error.
func (f BaseFile) Last(_ context.Context, recipe string) (*results.Run, error) {
	run, err := report.ReadJSON(string(f))
	if err != nil {
		return nil, err
	}
	name := run.Recipe
	if name == "" {
		name = run.Location
	}
	if clipName(name) != recipe {
		return nil, fmt.Errorf("%s: a result of recipe %q, not %q", f, clipName(name), recipe)
	}
	if run.Level < 0 || run.Level > results.MaxLevel {
		return nil, fmt.Errorf("%s: level %d is not one of 0 to %d", f, run.Level, results.MaxLevel)
	}
	return run, nil
}

// base is the base branch's last result, or nil with a warning when it
// cannot be had: the comment then has no delta line, and is posted all
// the same.
func (p *Publisher) base(ctx context.Context, recipe string) *results.Run {
	if p.Base == nil {
		return nil
	}
	run, err := p.Base.Last(ctx, recipe)
	if err != nil {
		p.warnf("no delta against the base branch in the comment: %v", err)
		return nil
	}
	return run
}
