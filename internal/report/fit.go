package report

import (
	"fmt"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// A budget bounds what one rendering shows of the text a recipe controls:
// rows is how many entries of a list (a stage's tests, parity rows,
// residue) get a line before one "… and N more" line; text is how many
// bytes of a recipe string (its name, ref, errors) are kept. Zero means
// no bound.
type budget struct{ rows, text int }

// budgets are tried in order until the report fits: first everything
// (only the excerpts shrink), then ever shorter lists and strings. A long
// TYPE, a residue list of thousands of names or a suite of thousands of
// failing tests must not push the comment past the forge's limit, which
// would refuse it and leave the pull request without a report.
var budgets = []budget{{}, {rows: 200, text: 2000}, {rows: 40, text: 300}, {rows: 8, text: 100}}

// maxVerdictName bounds the recipe name in the verdict, which is also the
// commit status's description and the comment's heading.
const maxVerdictName = 100

// fitRun returns a copy of run whose strings are cut to b.text bytes.
// Lists are not cut here: the renderer shows b.rows of each (see rows).
func fitRun(run *results.Run, b budget) *results.Run {
	if b.text == 0 {
		return run
	}
	c := *run
	// Recipe and Location are left to Verdict, which bounds them the same
	// way whatever the budget, so the heading matches the status.
	for _, s := range []*string{&c.Ref, &c.Commit, &c.Domain, &c.Version, &c.BaseVersion,
		&c.Stack, &c.RunID, &c.Error, &c.RunURL, &c.EnrollmentPR} {
		*s = clipText(*s, b.text)
	}
	c.Stages = make([]results.Stage, len(run.Stages))
	for i, st := range run.Stages {
		st.Reason, st.Note = clipText(st.Reason, b.text), clipText(st.Note, b.text)
		st.Release, st.From = clipText(st.Release, b.text), clipText(st.From, b.text)
		st.Tests = make([]results.Test, len(run.Stages[i].Tests))
		for j, t := range run.Stages[i].Tests {
			t.Name, t.Reason = clipText(t.Name, b.text), clipText(t.Reason, b.text)
			st.Tests[j] = t
		}
		c.Stages[i] = st
	}
	c.Residue = make([]string, len(run.Residue))
	for i, r := range run.Residue {
		c.Residue[i] = clipText(r, b.text)
	}
	return &c
}

// shown says how many of n list entries b shows.
func (b budget) shown(n int) int {
	if b.rows == 0 || n <= b.rows {
		return n
	}
	return b.rows
}

// moreText says how many entries a list left out.
func moreText(n int) string { return fmt.Sprintf("… and %d more", n) }

// clipText cuts s to at most n bytes on a rune boundary, marking the
// cut; n 0 keeps s whole.
func clipText(s string, n int) string {
	if n == 0 || len(s) <= n {
		return s
	}
	mark := "…"
	if n < len(mark) {
		mark = ""
	}
	cut := n - len(mark)
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// tooLong is what a report says when even its tightest budget does not
// fit the limit it was given.
const tooLong = "\n_The report is too long for a comment: see the run's results.json and junit.xml._\n"

// clipMarkdown cuts a rendered report to limit bytes at a line end, and
// says so. The verdict comes first, so it is what stays.
func clipMarkdown(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	keep := limit - len(tooLong)
	if keep <= 0 {
		return clipText(s, limit)
	}
	cut := strings.LastIndexByte(s[:keep], '\n')
	if cut < 0 {
		return clipText(s, limit)
	}
	return s[:cut+1] + tooLong
}
