package abra

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/lint"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
)

// Linter returns the lint stage's check with abra: `abra recipe lint` for
// abra's rules (Lint), then internal/lint's rules of our own, which abra
// does not have.
func Linter(cfg Config) func(ctx context.Context, in *lint.Input, progress func(string)) (lint.Report, error) {
	return func(ctx context.Context, in *lint.Input, progress func(string)) (lint.Report, error) {
		rep, err := Lint(ctx, cfg, in.Recipe, progress)
		if err != nil {
			return rep, err
		}
		for _, r := range lint.Check(in).Results {
			if r.Rule.Abra == "" {
				rep.Results = append(rep.Results, r)
			}
		}
		return rep, nil
	}
}

// Lint runs `abra recipe lint` on the recipe, in a private ABRA_DIR of its
// own (a run of lint alone opens no engine and no deployer), and reads its
// table into the same report internal/lint makes: one result per rule
// abra lists, named with our rule of the same abra id when there is one.
// progress receives the command and its transcript.
func Lint(ctx context.Context, cfg Config, rec *recipe.Recipe, progress func(string)) (lint.Report, error) {
	dir, err := os.MkdirTemp("", "recipe-test-abra-lint-")
	if err != nil {
		return lint.Report{}, fmt.Errorf("abra recipe lint: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := copyRecipe(rec.Dir, filepath.Join(dir, "recipes", rec.Name)); err != nil {
		return lint.Report{}, fmt.Errorf("abra recipe lint: copy recipe %s: %w", rec.Name, err)
	}
	r := runner{cfg: cfg, dir: dir, red: &redact.Redactor{}}
	// --chaos: lint the working copy; --offline: the recipe is here, not
	// on git.coopcloud.tech (abra skips the rules that need the network).
	res, err := r.run(ctx, progress, []string{"recipe", "lint", rec.Name, "--chaos", "--offline"})
	rep, perr := ParseLint(res.Transcript)
	if perr != nil {
		if err != nil {
			return lint.Report{}, err
		}
		return lint.Report{}, fmt.Errorf("abra recipe lint %s: %w; its last output:\n%s", rec.Name, perr, res.Tail(20))
	}
	// abra exits non-zero on some versions when an error-level rule fails;
	// the table says which, and the stage fails on it.
	return rep, nil
}

var refRe = regexp.MustCompile(`^R\d{3}$`)

// ParseLint reads the table `abra recipe lint` prints (columns ref, rule,
// severity, satisfied, skipped, resolve) into a lint report: a rule is
// skipped when its skipped cell is ticked, passes when its satisfied cell
// is, else fails. A ref our rules know keeps our rule's name and advice.
func ParseLint(transcript string) (lint.Report, error) {
	var rep lint.Report
	for _, t := range parseTables(transcript) {
		if !t.has("ref", "rule", "severity", "satisfied", "skipped") {
			continue
		}
		for _, row := range t.rows {
			ref := t.get(row, "ref")
			if !refRe.MatchString(ref) {
				continue
			}
			rule := ruleFor(ref, t.get(row, "rule"), t.get(row, "severity"), t.get(row, "resolve"))
			res := lint.Result{Rule: rule}
			switch {
			case ticked(t.get(row, "skipped")):
				res.Status, res.Reason = lint.Skip, "abra recipe lint skipped it"
			case ticked(t.get(row, "satisfied")):
				res.Status = lint.Pass
			default:
				res.Status = lint.Fail
				res.Findings = []string{"abra recipe lint: " + t.get(row, "rule") + ": not satisfied"}
			}
			rep.Results = append(rep.Results, res)
		}
	}
	if len(rep.Results) == 0 {
		return rep, fmt.Errorf("no lint table (ref, rule, severity, satisfied, skipped, resolve) in its output")
	}
	return rep, nil
}

// ticked reads a yes cell: abra prints ✅ (older versions "yes" or "true").
func ticked(cell string) bool {
	c := strings.ToLower(strings.TrimSpace(cell))
	return strings.Contains(c, "✅") || strings.Contains(c, "✔") || c == "yes" || c == "true"
}

// ruleFor is our rule with abra's id ref, at the level abra printed, else
// a rule made of abra's own words.
func ruleFor(ref, desc, severity, resolve string) lint.Rule {
	sev := lint.Warning
	if strings.HasPrefix(strings.ToLower(severity), "err") || strings.EqualFold(severity, "critical") {
		sev = lint.Error
	}
	for _, r := range lint.Rules() {
		if r.Abra == ref {
			r.Severity = sev
			return r
		}
	}
	return lint.Rule{ID: slug(desc), Abra: ref, Severity: sev, What: desc, Fix: resolve}
}

func slug(s string) string {
	s = strings.ToLower(s)
	s = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(s, "-")
	return strings.Trim(s, "-")
}
