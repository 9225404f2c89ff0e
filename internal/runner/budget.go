package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/budget"
	"github.com/cc-ci/recipe-test/v2/internal/janitor"
)

// weight is the slots of the run budget the run takes: its recipe's
// [budget] weight and each dependency's, as they are deployed together.
func (r *Run) weight() (total int, parts []string) {
	total = r.Enrollment.Weight()
	parts = append(parts, weighed(r, "")+fmt.Sprint(total))
	for _, d := range r.deps {
		w := d.run.Enrollment.Weight()
		total += w
		parts = append(parts, weighed(d.run, "dependency ")+fmt.Sprint(w))
	}
	return total, parts
}

// weighed names a run's recipe and where its weight comes from.
func weighed(r *Run, role string) string {
	if r.Enrollment == nil || r.Enrollment.Budget.Weight == nil {
		return fmt.Sprintf("%s%s (default) ", role, r.Recipe.Name)
	}
	return fmt.Sprintf("%s%s (%s [budget] weight) ", role, r.Recipe.Name, r.Enrollment.File)
}

// budgetRequest is the run's request to the run budget; ok is false when
// the run has no budget (--budget 0) or deploys nothing.
func (r *Run) budgetRequest() (req budget.Request, ok bool) {
	if r.cfg.janitor.Budget <= 0 || r.Engine == nil {
		return budget.Request{}, false
	}
	w, _ := r.weight()
	return budget.Request{RunID: r.Result.RunID, Stack: r.App.Stack, Recipe: r.Recipe.Name, Weight: w, Capacity: r.cfg.janitor.Budget}, true
}

// checkBudget refuses, at plan time, a run heavier than the whole budget:
// it could never be admitted. A run that deploys nothing (lint alone)
// takes no slot.
func (r *Run) checkBudget() error {
	if r.cfg.janitor.Budget <= 0 || !r.deploys() {
		return nil
	}
	w, parts := r.weight()
	if err := (budget.Request{Recipe: r.Recipe.Name, Weight: w, Capacity: r.cfg.janitor.Budget}).Check(); err != nil {
		return fmt.Errorf("%w; its weight: %s", err, strings.Join(parts, " + "))
	}
	return nil
}

// takeBudget waits for the run's slots of the run budget, once it holds
// its lease (the ticket lives as long as the lease). It returns nil when
// the run has no budget; the wait goes into the results.
func (r *Run) takeBudget(ctx context.Context) (*budget.Slot, error) {
	req, ok := r.budgetRequest()
	if !ok {
		return nil, nil
	}
	slot, err := budget.Take(ctx, r.Engine.Leases(), req, budget.Options{Skew: janitor.DefaultLeaseSkew,
		Say: func(s string) { r.Logf("%s", s) }})
	if err != nil {
		return nil, err
	}
	r.Result.BudgetWaitS = slot.Waited.Round(time.Millisecond).Seconds()
	return slot, nil
}
