package report

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Extras are what a report shows beside the run itself, known to whoever
// posts it rather than to the run: the base branch's last result and
// where the app's screenshot can be seen.
type Extras struct {
	// Base is the base branch's last result of the same recipe, for the
	// delta line ("L5 on main, L3 here"); nil: no delta line.
	Base *results.Run
	// Screenshot is the app's screenshot as the comment shows it; zero:
	// none.
	Screenshot Screenshot
}

// Screenshot is how the report shows the app's screenshot: embedded from
// the forge (an attachment of the comment on Gitea and Forgejo), linked
// (the run's artifacts page on GitHub, which has no attachments), or a
// note saying why it is not there.
type Screenshot struct {
	// Name is its path in the output folder (custom/screenshots/x.png).
	Name string
	// URL is the image itself when Inline, else a page that offers it.
	URL    string
	Inline bool
	// Note says why it is not attached (too big, refused), when it is not.
	Note string
}

// markdown is the screenshot's line; "" for none. A URL that is not
// http(s), or is too long, is left out: the line then names the file.
func (s Screenshot) markdown() string {
	u := safeURL(s.URL)
	s.Name = oneLine(s.Name, 200) // from results.json: its length is the tested code's
	var line string
	switch {
	case s.Name == "":
		return ""
	case s.Inline && u != "":
		return fmt.Sprintf("![screenshot of the app: %s](%s)", Text(s.Name), u)
	case u != "":
		line = fmt.Sprintf("Screenshot of the app: %s, in [the run's artifacts](%s).", Code(s.Name), u)
	default:
		line = fmt.Sprintf("Screenshot of the app: %s in the run's output folder.", Code(s.Name))
	}
	if s.Note != "" {
		line += " " + Text(oneLine(s.Note, 300))
	}
	return line
}

// maxURL bounds a link the report makes: a longer one is left out.
const maxURL = 2000

// safeURL is u as a Markdown link destination: an http(s) URL with the
// characters that would end the destination escaped; "" for anything
// else.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || len(u) > maxURL {
		return ""
	}
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(p.String())
}

// Compact says whether the report of run is the compact one: the run
// passed and nothing calls for a reader's attention (no warning, nothing
// left behind, no run error, no dependency failed).
func Compact(run *results.Run) bool {
	if run.Status != results.Pass || run.Error != "" || len(run.Warnings) > 0 || len(run.Residue) > 0 || len(run.Stages) == 0 {
		return false
	}
	for _, d := range run.Dependencies {
		if d.Status == results.Fail {
			return false
		}
	}
	return true
}

// StageLine is the stages on one line: "install ✓ · upgrade ✓ · custom
// skipped · teardown ✓".
func StageLine(stages []results.Stage) string {
	parts := make([]string, 0, len(stages))
	for _, st := range stages {
		mark := map[results.Status]string{results.Pass: "✓", results.Fail: "✗", results.Skip: "skipped"}[st.Status]
		if mark == "" {
			mark = "?"
		}
		parts = append(parts, Text(oneLine(st.Name, 40))+" "+mark)
	}
	return strings.Join(parts, " · ")
}

// Delta compares run's level with the base branch's last result: "L5 on
// main, L3 here"; "" without a base.
func Delta(base, run *results.Run) string {
	if base == nil {
		return ""
	}
	return fmt.Sprintf("L%d on %s, L%d here", base.Level, Text(BaseName(base)), run.Level)
}

// BaseName names the base result's ref as a reader knows it: the branch
// ("main" for refs/heads/main), else its commit, else "the base branch".
func BaseName(base *results.Run) string {
	ref := strings.TrimPrefix(strings.TrimPrefix(base.Ref, "refs/heads/"), "refs/tags/")
	switch {
	case ref != "":
		return oneLine(ref, 100)
	case base.Commit != "":
		return oneLine(base.Commit[:min(12, len(base.Commit))], 12)
	}
	return "the base branch"
}

// foldedSummary names what the compact report folds.
func foldedSummary(run *results.Run) string {
	parts := []string{"stages"}
	if len(run.Dependencies) > 0 {
		parts = append(parts, "dependencies")
	}
	if len(run.Ladder) > 0 {
		parts = append(parts, "level ladder")
	}
	parts = append(parts, "parity")
	if len(run.Grants) > 0 {
		parts = append(parts, "policy grants")
	}
	s := strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	return strings.ToUpper(s[:1]) + s[1:]
}
