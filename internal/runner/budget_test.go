package runner

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/budget"
)

// A dependency's weight counts toward its run's: an app of weight 1 whose
// dependency weighs 2 takes 3 slots, more than a budget of 2, and is
// refused at plan time, before an engine is opened, naming every weight
// and where it comes from.
func TestBudgetCountsDependencies(t *testing.T) {
	dir := copyEnrollments(t, "oidc-app", "oidc-provider")
	provider := filepath.Join(dir, "oidc-provider", "recipe.toml")
	edit(t, provider, func(s string) string { return s + "\n[budget]\nweight = 2\n" })
	for _, tc := range []struct {
		capacity int
		want     string
	}{
		{2, "oidc-app takes 3 slots of the run budget, more than its capacity of 2: it could never run"},
		{1, "its weight: oidc-app (default) 1 + dependency oidc-provider (" + provider + " [budget] weight) 2"},
	} {
		opts := dependencyOptions(t, dir)
		opts.Output.Dir = t.TempDir()
		opts.Janitor.LockDir = t.TempDir()
		opts.Janitor.Budget = tc.capacity
		opts.Deploy.Connect = func(context.Context, *slog.Logger) (Engine, error) {
			t.Error("an engine was opened: the plan should have stopped the run")
			return nil, errors.New("no engine in this test")
		}
		_, err := Execute(context.Background(), opts)
		var pe *PlanError
		var heavy *budget.TooHeavyError
		if !errors.As(err, &pe) || !errors.As(err, &heavy) || heavy.Weight != 3 {
			t.Fatalf("budget %d: err = %v, want a plan error of a run too heavy at 3 slots", tc.capacity, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
		}
	}
}

// A run that deploys nothing (lint alone) takes no slot: however heavy,
// it is not refused.
func TestBudgetLintAloneTakesNoSlot(t *testing.T) {
	dir := copyEnrollments(t, "oidc-app", "oidc-provider")
	edit(t, filepath.Join(dir, "oidc-provider", "recipe.toml"), func(s string) string { return s + "\n[budget]\nweight = 2\n" })
	opts := dependencyOptions(t, dir)
	opts.Output.Dir = t.TempDir()
	opts.Janitor.LockDir = t.TempDir()
	opts.Janitor.Budget = 1
	opts.Stages = []string{StageLint}
	_, err := Execute(context.Background(), opts)
	var heavy *budget.TooHeavyError
	if errors.As(err, &heavy) {
		t.Errorf("a lint run was refused by the budget: %v", err)
	}
}

func TestResolveRefusesNegativeBudget(t *testing.T) {
	_, err := resolve(Options{Source: Source{Recipe: "x"}, Janitor: Janitor{Budget: -1}})
	if err == nil || !strings.Contains(err.Error(), "budget -1") {
		t.Errorf("err = %v", err)
	}
}
