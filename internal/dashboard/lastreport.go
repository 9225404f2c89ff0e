package dashboard

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// markdown renders the report as a forge does: GFM, with the report's own
// HTML (collapsed blocks, bold titles, the facts line) kept.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))

// reportPolicy is what of the rendered report reaches the page: the
// elements the report is made of, links to http(s) only. The report
// already makes the recipe's text inert (report.Text, Code); this holds
// even where it would not, since the page is served from the site's own
// origin where a forge's sanitizer is not.
var reportPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote",
		"table", "thead", "tbody", "tr", "th", "td", "details", "summary",
		"b", "strong", "em", "del", "sub", "sup", "pre", "code", "ul", "ol", "li")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("https", "http")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	return p
}()

// ReportHTML is the run's Markdown report (report.Markdown, the PR
// comment's text) as sanitized HTML.
func ReportHTML(run *results.Run) (template.HTML, error) {
	var md, out bytes.Buffer
	if err := report.Markdown(&md, run); err != nil {
		return "", fmt.Errorf("report of %s: %w", Name(run), err)
	}
	if err := markdown.Convert(md.Bytes(), &out); err != nil {
		return "", fmt.Errorf("report of %s: render Markdown: %w", Name(run), err)
	}
	return template.HTML(reportPolicy.SanitizeBytes(out.Bytes())), nil //nolint:gosec // sanitized just now
}
