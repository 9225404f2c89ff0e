package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// hostile is recipe text built to act in a rendered comment: a heading of
// its own, raw HTML, mentions, issue references, links, an image,
// emphasis, a table pipe, autolinks and another recipe's hidden marker.
const hostile = "x\n### Forged heading\n- forged item\n<img src=https://evil.example/i.png> <script>alert(1)</script> " +
	"@admin @org/team #12 owner/repo#3 bob@example.org [click](https://evil.example) ![i](https://evil.example/i.png) " +
	"**bold** _em_ ~~del~~ `code` | pipe <!-- recipe-test:comment recipe=other --> https://evil.example/auto " +
	"www.evil.example <https://evil.example/angle> &lt;b&gt;"

// renderGFM renders Markdown as GitHub does (GFM: tables, autolinks,
// strikethrough), raw HTML kept, so that any HTML that got through shows.
func renderGFM(t *testing.T, md string) string {
	t.Helper()
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert([]byte(md), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var (
	tagRe     = regexp.MustCompile(`<(/?[a-zA-Z][a-zA-Z0-9]*)[^>]*>`)
	mentionRe = regexp.MustCompile(`(^|[^A-Za-z0-9])@[A-Za-z0-9]|#[0-9]`)
	codeRe    = regexp.MustCompile(`(?s)<code>.*?</code>`)
)

// wantInertMarkdown fails unless the rendered md has only the elements
// the report makes itself (counted where the report decides how many),
// no link the recipe made, and no mention or issue reference in its text.
func wantInertMarkdown(t *testing.T, md string, headings, items int) {
	t.Helper()
	if strings.Contains(md, "<!-- recipe-test:comment recipe=other") {
		t.Errorf("another recipe's marker is in the raw Markdown:\n%s", md)
	}
	out := renderGFM(t, md)
	allowed := map[string]bool{"h3": true, "p": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true,
		"td": true, "details": true, "summary": true, "b": true, "sub": true, "pre": true, "code": true, "ul": true, "li": true, "em": true}
	counts := map[string]int{}
	for _, m := range tagRe.FindAllStringSubmatch(out, -1) {
		name := strings.ToLower(strings.TrimPrefix(m[1], "/"))
		if !allowed[name] {
			t.Errorf("rendered %q from recipe text", m[0])
		}
		if !strings.HasPrefix(m[1], "/") {
			counts[name]++
		}
	}
	if counts["h3"] != headings || counts["li"] != items || counts["em"] > 1 {
		t.Errorf("rendered %d headings, %d list items, %d emphases; want %d, %d, at most 1 (ours):\n%s", counts["h3"], counts["li"], counts["em"], headings, items, out)
	}
	text := tagRe.ReplaceAllString(out, " ")
	// Forges link no mention inside code.
	if m := mentionRe.FindString(tagRe.ReplaceAllString(codeRe.ReplaceAllString(out, ""), " ")); m != "" {
		t.Errorf("rendered text holds a mention or an issue reference %q", m)
	}
	for _, want := range []string{"Forged heading", "alert(1)", "click", "bold", "pipe"} {
		if !strings.Contains(text, want) {
			t.Errorf("the recipe's text %q does not show:\n%s", want, out)
		}
	}
}

// Recipe strings in every place of the report (its name, the reason and
// output of a failed stage, a test, a stage's name, a dependency, the
// residue, the versions and ref) render as text.
func TestMarkdownRecipeStringsStayText(t *testing.T) {
	run := &results.Run{Status: results.Fail, Recipe: hostile, Ref: hostile, Version: hostile, BaseVersion: hostile,
		Domain: hostile, Stages: []results.Stage{
			{Name: "install", Status: results.Fail, Reason: hostile, Output: hostile},
			{Name: "custom", Status: results.Fail, Reason: hostile, Tests: []results.Test{{Name: hostile, Status: results.Fail, Reason: hostile, Output: hostile}}},
			{Name: hostile, Status: results.Pass, Note: hostile}, // publish --from reads a results.json from an untrusted run
		},
		Dependencies: []results.Dependency{{Recipe: hostile, For: hostile, Of: hostile, Domain: hostile, Status: results.Pass,
			Stages: []results.Stage{{Name: hostile, Status: results.Pass}}}},
		Residue: []string{hostile, hostile},
		Parity:  []results.ParityRow{{Feature: hostile, Check: hostile, Status: results.Fail, Note: hostile}},
	}
	wantInertMarkdown(t, RenderMarkdown(run, MaxMarkdown), 1, 2)

	planErr := &results.Run{Status: results.Fail, Location: hostile, Error: hostile}
	wantInertMarkdown(t, RenderMarkdown(planErr, MaxMarkdown), 1, 0)
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain words", "plain words"},
		{"a_b*c`d[e](f)~g|h\\i", `a\_b\*c` + "\\`" + `d\[e\](f)\~g\|h\\i`},
		{"<b>&amp;", "&lt;b&gt;&amp;amp;"},
		{"@admin", "@" + zwsp + "admin"},
		{"#12 x", "#" + zwsp + "12 x"},
		{"# heading", `\# heading`},
		{"- item", `\- item`},
		{"12. item", `12\. item`},
		{"1.0.0", "1.0.0"},
		{"===", `\===`},
		{"see https://x.example", "see https:" + zwsp + "//x.example"},
		{"two\nlines", "two lines"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Code("a`b <!-- m -->\nc"); got != "`a'b <"+zwsp+"!-- m --> c`" {
		t.Errorf("Code: %q", got)
	}
}

// oneLine keeps at most max bytes and marks a cut, also when only the
// head of a long string was looked at.
func TestOneLineLong(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"a b", 10, "a b"},
		{"a\n\nb  c", 10, "a b c"},
		{strings.Repeat("x", 50), 10, strings.Repeat("x", 10) + "…"},
		{"ab" + strings.Repeat(" ", 500) + "c", 10, "ab…"},
		{strings.Repeat("é", 50), 5, "éé…"},
	} {
		if got := oneLine(tc.in, tc.max); got != tc.want {
			t.Errorf("oneLine(%.20q…, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// The run's link is the operator's (or, from an untrusted results.json,
// anyone's): only an http(s) URL becomes a link, with the characters that
// would end its destination escaped.
func TestMarkdownRunURL(t *testing.T) {
	for _, tc := range []struct{ in, want, not string }{
		{"https://ci.example.org/o/r/actions/runs/7", "[run log](https://ci.example.org/o/r/actions/runs/7)", ""},
		{"https://ci.example.org/a) [forged](https://evil.example", "[run log](https://ci.example.org/a%29%20%5Bforged%5D%28https://evil.example)", "[forged]("},
		{"javascript:alert(1)", "", "run log"},
		{"x\n### Forged heading", "", "Forged"},
	} {
		md := RenderMarkdown(&results.Run{Status: results.Pass, Recipe: "r", RunURL: tc.in}, MaxMarkdown)
		if tc.want != "" && !strings.Contains(md, tc.want) {
			t.Errorf("RunURL %q: report lacks %q:\n%s", tc.in, tc.want, md)
		}
		if tc.not != "" && strings.Contains(md, tc.not) {
			t.Errorf("RunURL %q: report has %q:\n%s", tc.in, tc.not, md)
		}
	}
}
