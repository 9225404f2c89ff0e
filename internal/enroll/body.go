package enroll

import (
	"fmt"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/scaffold"
)

// Marker identifies an enrollment pull request's body.
func Marker(name string) string { return "<!-- recipe-test:enroll recipe=" + name + " -->" }

// Body is the pull request's description: what was detected, what a
// maintainer should fill in, and the generic floor's result.
func Body(o Options, r *Result) string {
	d := r.Detection
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Enroll recipe `%s`\n\n", Marker(o.Name), o.Name)
	fmt.Fprintf(&b, "This pull request adds `%s/%s/`, scaffolded by `recipe-test enroll` from %s", Folder, o.Name, link(o.Upstream, o.Upstream))
	if r.Mirror.HTMLURL != "" {
		verb := "kept in sync by the forge"
		if !r.MirrorPulls {
			verb = "updated by each enrollment run"
		}
		fmt.Fprintf(&b, ", mirrored at %s (%s)", link(r.Mirror.Repo.String(), r.Mirror.HTMLURL), verb)
	}
	b.WriteString(". Once merged, the recipe is tested with what this folder says, beyond the generic floor.\n\n")
	if len(r.Foreign) > 0 {
		fmt.Fprintf(&b, "> [!NOTE]\n> The branch has commits by maintainers (%s), so the scaffold was not regenerated; this description reflects the upstream recipe as of now.\n\n",
			report.Text(strings.Join(r.Foreign, "; ")))
	}

	b.WriteString("### Detected\n\n")
	b.WriteString(detected(d))

	b.WriteString("\n### To fill in\n\n")
	b.WriteString(todo(o, d))

	b.WriteString("\n### Generic floor\n\n")
	b.WriteString(floorSection(o))
	return b.String()
}

// Floor section markers: an update without a floor result keeps the one
// the pull request shows.
const (
	floorStart = "<!-- recipe-test:floor -->\n"
	floorEnd   = "<!-- recipe-test:floor-end -->\n"
	noFloor    = "No generic floor run accompanied this enrollment."
)

// Rebody is Body for a pull request whose body is previous: without a
// floor result of its own, it keeps the one previous shows.
func Rebody(o Options, r *Result) func(previous string) string {
	return func(previous string) string {
		body := Body(o, r)
		if o.Floor != nil {
			return body
		}
		old, ok := section(previous, floorStart, floorEnd)
		if !ok || strings.Contains(old, noFloor) {
			return body
		}
		cur, _ := section(body, floorStart, floorEnd)
		return strings.Replace(body, cur, old, 1)
	}
}

// section returns s from start to end, both included.
func section(s, start, end string) (string, bool) {
	i := strings.Index(s, start)
	if i < 0 {
		return "", false
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return "", false
	}
	return s[i : i+j+len(end)], true
}

func floorSection(o Options) string {
	var b strings.Builder
	b.WriteString(floorStart)
	if o.Floor == nil {
		b.WriteString(noFloor + " Run `recipe-test run --recipe " + o.Upstream + "` to see where it stands.\n")
	} else {
		fmt.Fprintf(&b, "%s\n", report.Text(report.Verdict(o.Floor)))
		if o.Floor.RunURL != "" {
			fmt.Fprintf(&b, "\n%s\n", link("The run", o.Floor.RunURL))
		}
		if len(o.Floor.Stages) > 0 {
			b.WriteString("\n| stage | result | note |\n| --- | --- | --- |\n")
			for _, s := range o.Floor.Stages {
				note := s.Reason
				if note == "" {
					note = s.Note
				}
				fmt.Fprintf(&b, "| %s | %s | %s |\n", s.Name, s.Status, report.Cell(note))
			}
		}
	}
	b.WriteString(floorEnd)
	return b.String()
}

// The body quotes the recipe (its files, labels, tags, lint findings) and
// the upstream URL: every such string goes through report.Text, report.Code
// or link, so that it stays text (see report's escape.go).

func code(s string) string { return report.Code(s) }

// link is a Markdown link whose text is inert and whose destination,
// between angle brackets, cannot end early.
func link(text, url string) string {
	return "[" + report.Text(text) + "](<" + strings.NewReplacer("<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(url) + ">)"
}

// detected renders what the recipe says of itself.
func detected(d *scaffold.Detection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- **Compose files:** %s\n", codeList(d.ComposeFiles))
	if d.Probe.Path != "" {
		fmt.Fprintf(&b, "- **Readiness probe:** %s on service %s: %s\n", code("GET "+d.Probe.Path), code(d.Probe.Service), report.Text(d.Probe.Why))
	} else {
		b.WriteString("- **Readiness probe:** none found (no service has a traefik router)\n")
	}
	fmt.Fprintf(&b, "- **Versions:** %s\n", orNone(codeList(d.Versions)))
	var secrets []string
	for _, s := range d.Secrets {
		hint := code(s.Name)
		switch {
		case !s.Generate:
			hint += " (generate=false: supplied by the operator, here by recipe.toml's `[secrets]`)"
		case s.Length > 0:
			hint += fmt.Sprintf(" (length %d)", s.Length)
		}
		secrets = append(secrets, hint)
	}
	fmt.Fprintf(&b, "- **Secrets:** %s\n", orNone(strings.Join(secrets, ", ")))
	fmt.Fprintf(&b, "- **Upstream tests:** %s\n", orNone(codeList(d.UpstreamTests)))
	if len(d.Lint) == 0 {
		b.WriteString("- **Lint:** clean\n")
	} else {
		b.WriteString("- **Lint:**\n")
		for _, l := range d.Lint {
			fmt.Fprintf(&b, "  - %s\n", report.Text(l))
		}
	}
	b.WriteString("\n| service | image | routers | healthcheck | backup |\n| --- | --- | --- | --- | --- |\n")
	for _, s := range d.Services {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", strings.ReplaceAll(code(s.Name), "|", "\\|"), report.Cell(s.Image), report.Cell(strings.Join(s.Routers, "; ")), report.Cell(s.Healthcheck), report.Cell(s.Backup))
	}
	if len(d.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, w := range d.Warnings {
			fmt.Fprintf(&b, "- %s\n", report.Text(w))
		}
	}
	return b.String()
}

// todo is the maintainer's checklist.
func todo(o Options, d *scaffold.Detection) string {
	var b strings.Builder
	dir := Folder + "/" + o.Name + "/"
	if d.Probe.Path == "" {
		fmt.Fprintf(&b, "- [ ] `[probe]` in `%srecipe.toml`: no router was found, so say which path answers when the app is ready.\n", dir)
	} else {
		fmt.Fprintf(&b, "- [ ] Check the guessed `[probe]` (%s) and the statuses that mean ready.\n", code(d.Probe.Path))
	}
	if d.HookService != "" {
		fmt.Fprintf(&b, "- [ ] `[hooks]` for service %s: seed, mutate and verify commands that write and check real app data, so upgrades and restores are proven on the app's own data (without them the data check uses marker files).\n", code(d.HookService))
	} else {
		b.WriteString("- [ ] No service has backupbot labels: add them to the recipe, or declare `[not_applicable] backup_restore` with the reason.\n")
	}
	switch len(d.Versions) {
	case 0:
		b.WriteString("- [ ] No release tags: the upgrade stage is skipped until the recipe has a release older than the ref under test (or declare `[not_applicable] upgrade` with the reason).\n")
	case 1:
		b.WriteString("- [ ] One release: a branch ahead of it upgrades from it, but the release itself has nothing older to upgrade from until a second one is tagged.\n")
	}
	var supplied []string
	for _, s := range d.Secrets {
		if s.External && !s.Generate {
			supplied = append(supplied, code(s.Name))
		}
	}
	if len(supplied) > 0 {
		fmt.Fprintf(&b, "- [ ] `[secrets]` in `%srecipe.toml` supplies %s (generate=false) with random values of the recipe's hints: check each has the form the app expects, else make it with a template or a command run in the service's image (docs/enroll-recipe.md).\n",
			dir, strings.Join(supplied, ", "))
	}
	if n := len(d.UpstreamTests); n > 0 {
		fmt.Fprintf(&b, "- [ ] %d upstream %s marked `todo` in `[[parity]]`: port each to a Go test (`ported`), or mark it `deferred` or `not-applicable` with the reason, then run `recipe-test parity %s`.\n",
			n, report.Plural(n, "test is", "tests are"), o.Name)
	}
	if d.LintErrors > 0 {
		fmt.Fprintf(&b, "- [ ] %d lint %s keep the recipe below L5: fix them in the recipe, or declare `[not_applicable] lint` with the reason.\n",
			d.LintErrors, report.Plural(d.LintErrors, "error", "errors"))
	}
	fmt.Fprintf(&b, "- [ ] Replace `TestHomePage` in `%s%s` with tests of what the app is for (`github.com/cc-ci/recipe-test/v2/harness`: HTTP, browser, exec in containers); see docs/enroll-recipe.md.\n", dir, scaffold.TestFileName(o.Name))
	return b.String()
}

func codeList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = code(s)
	}
	return strings.Join(out, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none found"
	}
	return s
}
