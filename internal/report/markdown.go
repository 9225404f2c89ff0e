package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// MaxMarkdown is the most a report may hold: a GitHub comment's limit
// (65,536 characters), counted in bytes to stay safe with any text.
const MaxMarkdown = 65536

// excerptBudgets are the tails (lines, bytes) kept of each failure's
// output, largest first: the first that makes the report fit is used.
var excerptBudgets = []struct{ lines, bytes int }{{60, 6000}, {30, 3000}, {15, 1500}, {8, 800}, {3, 300}}

// Markdown writes the report the PR comment and the step summary show
// (see RenderWith), with nothing beyond the run itself.
func Markdown(w io.Writer, run *results.Run) error {
	_, err := io.WriteString(w, RenderMarkdown(run, MaxMarkdown))
	return err
}

// RenderMarkdown renders the report within limit bytes, with nothing
// beyond the run itself (see RenderWith).
func RenderMarkdown(run *results.Run, limit int) string {
	return RenderWith(run, Extras{}, limit)
}

// RenderWith renders the report within limit bytes. A run that passed
// with nothing to warn about is compact: the verdict, one line of stages,
// the delta against the base branch and the screenshot, with the tables
// folded. Any other run shows the verdict, the failing stages' excerpts
// (collapsed blocks, the first failure first), then the tables: stages,
// dependencies, level ladder, parity, grants, residue; and the run's
// facts last.
//
// To stay within limit the excerpts shrink first; only when the tables
// alone are too long (a huge recipe name, thousands of residue names or
// tests) are the recipe's strings and lists cut (see budgets), and as a
// last resort the report.
func RenderWith(run *results.Run, x Extras, limit int) string {
	var s string
	for _, lb := range budgets {
		fitted := fitRun(run, lb)
		top, body := markdownTop(fitted, x), markdownBody(fitted, lb, x)
		tail := markdownFacts(fitted)
		for _, b := range excerptBudgets {
			s = top + failureExcerpts(fitted, b.lines, b.bytes) + body + tail
			if len(s) <= limit {
				return s
			}
		}
		s = top + "\n_Failure excerpts left out: the report would exceed the comment size limit. See the run's results.json and junit.xml._\n" + body + tail
		if len(s) <= limit {
			return s
		}
		if s = top + body + tail; len(s) <= limit {
			return s
		}
	}
	return clipMarkdown(s, limit)
}

// releaseCell is the release a stage ran: "1.0.0 → 2.0.0" for an
// upgrade.
func releaseCell(st results.Stage) string {
	switch {
	case st.From != "" && st.Release == "":
		return Cell("from " + st.From)
	case st.From != "" && st.From != st.Release:
		return Cell(st.From + " → " + st.Release)
	}
	return Cell(st.Release)
}

// maxTestRows is how many of a stage's tests get a row each; beyond it,
// the ones that passed without a note share one row (the lint stage's
// rules, a long recipe test suite).
const maxTestRows = 6

// markdownTop is what comes first: the verdict, why the run could not go
// on, the compact report's stage line, and the delta against the base
// branch.
func markdownTop(run *results.Run, x Extras) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n", Text(Verdict(run)))
	if run.Error != "" && len(run.Stages) == 0 {
		fmt.Fprintf(&b, "\nThe run could not start:\n\n%s", fence(noMarker(run.Error)))
	} else if run.Error != "" {
		fmt.Fprintf(&b, "\nThe run stopped:\n\n%s", fence(noMarker(run.Error)))
	}
	if Compact(run) {
		fmt.Fprintf(&b, "\n%s\n", StageLine(run.Stages))
	}
	if d := Delta(x.Base, run); d != "" {
		fmt.Fprintf(&b, "\n%s\n", d)
	}
	return b.String()
}

// markdownBody is what follows the failure excerpts: the enrollment line,
// the warnings, the screenshot and the tables, folded when the report is
// compact.
func markdownBody(run *results.Run, lb budget, x Extras) string {
	var b strings.Builder
	if run.EnrollmentPR != "" {
		fmt.Fprintf(&b, "\n%s\n", EnrollmentLine(run.EnrollmentPR))
	}
	for _, w := range run.Warnings {
		fmt.Fprintf(&b, "\n> **Warning:** %s\n", Text(oneLine(w, 500)))
	}
	if s := x.Screenshot.markdown(); s != "" {
		fmt.Fprintf(&b, "\n%s\n", s)
	}
	if Compact(run) {
		fmt.Fprintf(&b, "\n<details><summary>%s</summary>\n%s\n</details>\n", foldedSummary(run), markdownTables(run, lb))
	} else {
		b.WriteString(markdownTables(run, lb))
	}
	return b.String()
}

// markdownTables are the report's tables: stages with their tests,
// dependencies, level ladder, parity, grants and residue.
func markdownTables(run *results.Run, lb budget) string {
	var b strings.Builder
	if len(run.Stages) > 0 {
		b.WriteString("\n| stage | result | release | time | details |\n| --- | --- | --- | --- | --- |\n")
		for _, st := range run.Stages {
			details := st.Reason
			if st.Status == results.Pass {
				details = st.Note
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", Cell(st.Name), statusCell(st.Status), releaseCell(st), duration(st.DurationS), Cell(details))
			var quiet []string // passed without a word, folded into one row when many
			rows, hidden := 0, 0
			for _, t := range st.Tests {
				if len(st.Tests) > maxTestRows && t.Status == results.Pass && t.Reason == "" {
					quiet = append(quiet, t.Name)
					continue
				}
				if lb.rows > 0 && rows >= lb.rows {
					hidden++
					continue
				}
				rows++
				fmt.Fprintf(&b, "| ↳ %s | %s |  | %s | %s |\n", Cell(t.Name), statusCell(t.Status), duration(t.DurationS), Cell(t.Reason))
			}
			if hidden > 0 {
				fmt.Fprintf(&b, "| ↳ %s |  |  |  |  |\n", moreText(hidden))
			}
			if len(quiet) > 0 {
				fmt.Fprintf(&b, "| ↳ %d more | %s |  |  | %s |\n", len(quiet), statusCell(results.Pass), Cell(strings.Join(quiet, ", ")))
			}
		}
	}
	if len(run.Dependencies) > 0 {
		b.WriteString(DependenciesMarkdown(run.Dependencies))
	}
	if len(run.Ladder) > 0 {
		b.WriteString("\n<b>Level ladder</b>\n\n| level | rung | state | reason |\n| --- | --- | --- | --- |\n")
		for _, r := range run.Ladder {
			fmt.Fprintf(&b, "| L%d | %s | %s | %s |\n", r.Level, r.Name, rungCell(r.State), Cell(r.Reason))
		}
	}
	b.WriteString("\n<b>Parity</b>\n\n")
	if len(run.Parity) == 0 {
		b.WriteString("_No parity table: the recipe's enrollment declares no parity rows._\n")
	} else {
		b.WriteString("| feature | checked by | this run | note |\n| --- | --- | --- | --- |\n")
		n := lb.shown(len(run.Parity))
		for _, p := range run.Parity[:n] {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", Cell(p.Feature), Cell(p.Check), statusCell(p.Status), Cell(p.Note))
		}
		if more := len(run.Parity) - n; more > 0 {
			fmt.Fprintf(&b, "| %s |  |  |  |\n", moreText(more))
		}
	}
	if len(run.Grants) > 0 {
		b.WriteString(GrantsMarkdown(run.Grants))
	}
	if len(run.Residue) > 0 {
		fmt.Fprintf(&b, "\n<b>Left behind after teardown (%d)</b>\n\n", len(run.Residue))
		n := lb.shown(len(run.Residue))
		for _, r := range run.Residue[:n] {
			fmt.Fprintf(&b, "- %s\n", Code(r))
		}
		if more := len(run.Residue) - n; more > 0 {
			fmt.Fprintf(&b, "- %s\n", moreText(more))
		}
	}
	return b.String()
}

// DependenciesMarkdown is the table of the recipes a run deployed for the
// recipe under test: each one's release, domain, stages and what its
// teardown left.
func DependenciesMarkdown(ds []results.Dependency) string {
	var b strings.Builder
	b.WriteString("\n<b>Dependencies</b>\n\n| dependency | for | release | domain | stages | result | details |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, d := range ds {
		var stages []string
		for _, st := range d.Stages {
			stages = append(stages, Cell(st.Name)+" "+statusCell(st.Status))
		}
		details := d.Error
		if len(d.Residue) > 0 {
			details = strings.TrimPrefix(details+"; ", "; ") + fmt.Sprintf("%d left behind: %s", len(d.Residue), strings.Join(d.Residue, ", "))
		}
		release := d.Version
		if release == "" && len(d.Commit) >= 7 {
			release = d.Commit[:7]
		}
		fmt.Fprintf(&b, "| %s | %s of %s | %s | %s | %s | %s | %s |\n", Cell(d.Recipe), Cell(d.For), Cell(d.Of), Cell(release), Cell(d.Domain),
			strings.Join(stages, ", "), statusCell(d.Status), Cell(details))
	}
	return b.String()
}

// GrantsMarkdown lists the deploy policy grants a run used, one line each
// with its reason, so a reader sees every host access the recipe had.
func GrantsMarkdown(grants []results.Grant) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n<b>Policy grants used (%d, from the reviewed enrollment)</b>\n\n", len(grants))
	for _, g := range grants {
		what := g.Key
		if g.Service != "" {
			what = "services." + g.Service + "." + g.Key
		}
		if g.Value != "" {
			what += " " + g.Value
		}
		fmt.Fprintf(&b, "- %s: %s\n", Code(what), Cell(g.Reason))
	}
	return b.String()
}

// failureExcerpts renders a collapsed block per failed stage and test with
// the tail of its output.
func failureExcerpts(run *results.Run, lines, bytes int) string {
	var b strings.Builder
	block := func(title, reason, output string) {
		fmt.Fprintf(&b, "\n<details><summary>%s</summary>\n\n", htmlEscape(inert(oneLine(title, 200))))
		if reason != "" {
			b.WriteString(fence(noMarker(reason)))
		}
		if out := outputTail(output, lines, bytes); out != "" {
			b.WriteString("\nLast lines of its output:\n\n" + fence(noMarker(out)))
		}
		b.WriteString("\n</details>\n")
	}
	for _, st := range run.Stages {
		if st.Status == results.Fail {
			block(st.Name+" failed: "+st.Reason, st.Reason, st.Output)
		}
		for _, t := range st.Tests {
			if t.Status == results.Fail {
				block(st.Name+" / "+t.Name+" failed: "+t.Reason, t.Reason, t.Output)
			}
		}
	}
	return b.String()
}

// EnrollmentLine says that an unenrolled recipe got only the generic
// floor, and where its enrollment is proposed.
func EnrollmentLine(url string) string {
	return "This recipe is not enrolled yet, so only the generic floor ran: [its enrollment pull request](" + url + ") proposes its own tests and settings."
}

func markdownFacts(run *results.Run) string {
	var facts []string
	add := func(format string, args ...any) { facts = append(facts, fmt.Sprintf(format, args...)) }
	if run.Ref != "" || run.Commit != "" {
		ref := run.Ref
		if ref == "" {
			ref = "(as found)"
		}
		if run.Commit != "" {
			ref += " @ " + run.Commit[:min(12, len(run.Commit))]
		}
		add("ref %s", Code(ref))
	}
	switch {
	case run.BaseVersion != "" && run.Version != "":
		add("version %s → %s", Text(run.BaseVersion), Text(run.Version))
	case run.Version != "":
		add("version %s", Text(run.Version))
	}
	if run.Domain != "" {
		add("domain %s", Code(run.Domain))
	}
	if run.Deployer != "" {
		add("%s deployer, %s ingress", run.Deployer, run.Ingress)
	}
	if run.DurationS > 0 {
		add("took %s", duration(run.DurationS))
	}
	if u := safeURL(run.RunURL); u != "" {
		add("[run log](%s)", u)
	}
	if run.ToolVersion != "" {
		add("recipe-test %s", run.ToolVersion)
	}
	if len(facts) == 0 {
		return ""
	}
	return "\n<sub>" + strings.Join(facts, " · ") + "</sub>\n"
}

// failPhrase says a rung failed, by level.
var failPhrase = map[int]string{1: "install fails", 2: "upgrade fails", 3: "backup and restore fail", 4: "functional tests fail", 5: "lint fails"}

// unverifiedPhrase says a rung never ran, by level.
var unverifiedPhrase = map[int]string{1: "install unverified", 2: "upgrade unverified", 3: "backup and restore unverified", 4: "functional tests unverified", 5: "lint unverified"}

// Plural is one when n is 1, else many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Verdict is the one-line summary: status, recipe, level and what passed
// and failed, for example "❌ example: L1 of 5: installs; upgrade fails".
func Verdict(run *results.Run) string {
	icon := "✅"
	if run.Status != results.Pass {
		icon = "❌"
	}
	name := run.Recipe
	if name == "" {
		name = run.Location
	}
	name = oneLine(name, maxVerdictName)
	if run.Error != "" && len(run.Stages) == 0 {
		return fmt.Sprintf("%s %s: the run could not start: %s", icon, name, oneLine(run.Error, 200))
	}
	var passed, failed []string
	for _, r := range run.Ladder {
		switch {
		case r.Level <= run.Level && r.State == results.RungNotApplicable:
			passed = append(passed, r.Name+" (n/a)")
		case r.Level <= run.Level:
			passed = append(passed, r.Name)
		case r.State == results.RungFailed:
			failed = append(failed, failPhrase[r.Level])
		}
	}
	parts := []string{}
	if len(passed) > 0 {
		parts = append(parts, strings.Join(passed, ", "))
	}
	parts = append(parts, failed...)
	if next := run.Level; next < len(run.Ladder) && run.Ladder[next].State == results.RungUnverified {
		parts = append(parts, unverifiedPhrase[next+1])
	}
	for _, d := range run.Dependencies {
		if d.Status == results.Fail {
			parts = append(parts, "dependency "+oneLine(d.Recipe, maxVerdictName)+" failed")
		}
	}
	if n := len(run.Residue); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s left behind", n, Plural(n, "resource", "resources")))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing verified")
	}
	return fmt.Sprintf("%s %s: L%d of %d: %s", icon, name, run.Level, results.MaxLevel, strings.Join(parts, "; "))
}

func statusCell(s results.Status) string {
	switch s {
	case results.Pass:
		return "✅ pass"
	case results.Fail:
		return "❌ fail"
	case results.Skip:
		return "⏭️ skip"
	}
	return "—"
}

func rungCell(s results.RungState) string {
	switch s {
	case results.RungPassed:
		return "✅ passed"
	case results.RungFailed:
		return "❌ failed"
	case results.RungNotApplicable:
		return "➖ not applicable"
	}
	return "❔ unverified"
}

func duration(s float64) string {
	if s <= 0 {
		return ""
	}
	d := time.Duration(s * float64(time.Second))
	if d < time.Minute {
		return fmt.Sprintf("%.1f s", s)
	}
	return d.Round(time.Second).String()
}

// Cell makes s one Markdown table cell: at most 300 bytes of it, as Text
// (one line, inert; pipes are escaped there too).
func Cell(s string) string {
	return Text(oneLine(s, 300))
}

// oneLine joins lines and cuts s at max bytes (on a rune boundary).
// Only the first max bytes can show, so only a bounded head of a long s is
// cleaned (a recipe string of megabytes, a thousand times in a report,
// would otherwise cost seconds per rendering).
func oneLine(s string, max int) string {
	raw, clipped := s, false
	if head := 4*max + 64; len(raw) > head {
		for head > 0 && !utf8Start(raw[head]) {
			head--
		}
		raw, clipped = raw[:head], true
	}
	s = strings.Join(strings.Fields(xmlSafe(raw)), " ")
	if len(s) <= max && !clipped {
		return s
	}
	cut := min(max, len(s))
	for cut > 0 && cut < len(s) && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// outputTail keeps the last lines and bytes of output.
func outputTail(output string, lines, bytes int) string {
	if lines <= 0 {
		return ""
	}
	// Only the tail can show: clean just a bounded tail of a long output.
	raw, cut := output, false
	if len(raw) > 4*bytes {
		raw, cut = raw[len(raw)-4*bytes:], true
	}
	out := strings.TrimRight(xmlSafe(raw), "\n")
	if out == "" {
		return ""
	}
	ls := strings.Split(out, "\n")
	if len(ls) > lines {
		cut = true
		ls = ls[len(ls)-lines:]
	}
	out = strings.Join(ls, "\n")
	if len(out) > bytes {
		out = out[len(out)-bytes:]
		for len(out) > 0 && !utf8Start(out[0]) {
			out = out[1:]
		}
		cut = true
	}
	if cut {
		out = "[...]\n" + out
	}
	return out
}

// fence puts text in a code block whose fence the text cannot close,
// cleaned (valid UTF-8, no terminal escapes) and with no hidden marker.
func fence(s string) string {
	s = noMarker(xmlSafe(s))
	f := "```"
	for strings.Contains(s, f) {
		f += "`"
	}
	return f + "\n" + strings.TrimRight(s, "\n") + "\n" + f + "\n"
}
