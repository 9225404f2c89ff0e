package publish

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// FuzzComment renders the sticky comment of a failed run whose every
// recipe string (name, reasons, output, test names, residue, versions) is
// the fuzzer's, repeated up to n times into long lists. Whatever the
// input, the comment fits the forge's limit, is valid UTF-8, starts with
// the recipe's marker and holds no other, and its heading is the
// verdict with the level.
func FuzzComment(f *testing.F) {
	f.Add("example", "install failed: <b>x</b> @admin", "line\n```\n<!-- recipe-test:comment recipe=y -->", 3)
	f.Add(strings.Repeat("n", 5000), "r", "o", 5000)
	f.Add("\xff\xfe<!--", "|||", "\r\n\x1b[31m", 1)
	f.Fuzz(func(t *testing.T, name, reason, output string, n int) {
		if n < 0 {
			n = -n
		}
		n %= 300
		run := &results.Run{Status: results.Fail, Recipe: name, Version: name, Ref: reason, Level: 1,
			Stages: []results.Stage{{Name: "install", Status: results.Pass, Note: reason},
				{Name: "custom", Status: results.Fail, Reason: reason, Output: output}}}
		for i := range n {
			run.Stages[1].Tests = append(run.Stages[1].Tests, results.Test{Name: fmt.Sprintf("%s%d", name, i), Status: results.Fail, Reason: reason, Output: output})
			run.Residue = append(run.Residue, name+reason)
		}
		// The extras carry the fuzzer's strings too: a base ref, a
		// screenshot's name and the URL it is shown from.
		x := report.Extras{Base: &results.Run{Ref: reason, Level: 5},
			Screenshot: report.Screenshot{Name: output, URL: "https://forge.test/" + reason, Inline: n%2 == 0, Note: reason}}
		body := comment(run, name, x, report.MaxMarkdown, nil)
		marker := forge.Marker(clipName(name))
		if len(body) > report.MaxMarkdown || !utf8.ValidString(body) {
			t.Fatalf("%d bytes (limit %d), valid UTF-8 %v", len(body), report.MaxMarkdown, utf8.ValidString(body))
		}
		if !strings.HasPrefix(body, marker+"\n") || strings.Count(body, "<!--") != 1 {
			t.Fatalf("marker: want one, first: %q\n%.500s", marker, body)
		}
		heading, _, _ := strings.Cut(strings.TrimPrefix(body, marker+"\n"), "\n")
		if !strings.HasPrefix(heading, "### ❌ ") || !strings.Contains(heading, fmt.Sprintf(": L1 of %d: ", results.MaxLevel)) {
			t.Fatalf("heading %q is not the verdict", heading)
		}
	})
}
