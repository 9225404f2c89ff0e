package dashboard

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Whatever a recipe calls itself and whatever its stage prints, its badge
// is an SVG document and its page runs nothing of it: no script, frame,
// event handler or javascript: link, and the name shows as text.
func FuzzBadgeAndPage(f *testing.F) {
	f.Add("example", "ok")
	f.Add(hostileName, hostileOutput)
	f.Add("a\x00b\x1b]0;x\x07\xff\xfe", "<<script>script>alert(1)<</script>/script>")
	f.Add("]]><!-- -->", "<svg onload=alert(1)><title>x</title></svg><style>*{}</style>")
	f.Fuzz(func(t *testing.T, name, output string) {
		if name == "" {
			return // no run has no name: parse refuses it
		}
		run := fixture(name, 1, 2, true, output)
		run.Stages[len(run.Stages)-1].Reason = output
		parseBadge(t, Badge(name, run))
		page, err := newRecipePage(siteData{Title: "t"}, &Recipe{Name: name, Slug: Slug(name), Runs: []Entry{{"src", run}}})
		if err != nil {
			t.Fatal(err)
		}
		out, err := render("recipe.html", page)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		walk(doc, func(n *html.Node) {
			if n.Type != html.ElementNode {
				return
			}
			if n.Data == "script" || n.Data == "iframe" || n.Data == "style" && n.Parent.Data != "head" {
				t.Errorf("a <%s> element", n.Data)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") || strings.Contains(strings.ToLower(a.Val), "javascript:") {
					t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
				}
			}
		})
		h1 := find(doc, byTag("h1"))
		if len(h1) != 1 {
			t.Fatalf("%d headings", len(h1))
		}
		// The parser reads NUL and CR as HTML says; other text comes back whole.
		if !strings.ContainsAny(name, "\r\x00") && utf8.ValidString(name) && text(h1[0]) != name {
			t.Errorf("the name %q shows as %q", name, text(h1[0]))
		}
	})
}
