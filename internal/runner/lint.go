package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/lint"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Linter checks a recipe as the lint stage does, logging through progress:
// another tool's lint (abra recipe lint) read into the same report.
type Linter func(ctx context.Context, in *lint.Input, progress func(string)) (lint.Report, error)

// lintStage checks the recipe against Co-op Cloud's conventions
// (internal/lint: abra's rules R001-R015 and ours) before anything is
// deployed: one stage test per rule, named with abra's id ("R003
// images-tagged", "ours version-tags").
// An error-level finding fails the stage (L5, lint clean, is then not
// reached) but does not stop the lifecycle stages; warnings are noted.
type lintStage struct{}

func (lintStage) Name() string { return StageLint }

func (lintStage) Run(ctx context.Context, r *Run, rec *Record) error {
	in := &lint.Input{Recipe: r.Recipe, App: r.App}
	rep := lint.Report{}
	if r.cfg.deploy.Linter != nil {
		var err error
		if rep, err = r.cfg.deploy.Linter(ctx, in, func(m string) { r.Logf("%s", m) }); err != nil {
			return fmt.Errorf("lint: %w", err)
		}
	} else {
		rep = lint.Check(in)
	}
	var warnings []string
	for _, res := range rep.Results {
		t := results.Test{Name: res.Rule.Title(), Status: results.Pass}
		switch {
		case res.Status == lint.Skip:
			t.Status, t.Reason = results.Skip, res.Reason
		case res.Status == lint.Fail && res.Rule.Severity == lint.Error:
			t.Status, t.Reason = results.Fail, res.Rule.What
			t.Output = strings.Join(res.Findings, "\n") + "\nfix: " + res.Rule.Fix
			r.Logf("error %s", res.Summary())
		case res.Status == lint.Fail:
			t.Reason = "warning: " + strings.Join(res.Findings, "; ")
			warnings = append(warnings, res.Summary())
			r.Logf("warning %s", res.Summary())
		}
		rec.Add(t)
	}
	if len(warnings) > 0 {
		rec.Note("%d %s: %s", len(warnings), report.Plural(len(warnings), "warning", "warnings"), strings.Join(warnings, " | "))
	}
	if errs := rep.Failed(lint.Error); len(errs) > 0 {
		var lines []string
		for _, e := range errs {
			lines = append(lines, e.Summary())
		}
		return fmt.Errorf("%d lint %s: %s", len(errs), report.Plural(len(errs), "error", "errors"), strings.Join(lines, " | "))
	}
	return nil
}
