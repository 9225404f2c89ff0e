package dashboard

import (
	"context"
	"encoding/xml"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// hostileName is a recipe name built to run script, break out of an
// attribute or a tag, and reach another path.
const hostileName = `x"><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'../../etc`

// hostileOutput is a failed stage's output and reason, aimed at the
// rendered report.
const hostileOutput = "</pre><script>window.pwned=3</script>\n<a href=\"javascript:window.pwned=4\">click</a> <iframe src=//evil.example></iframe>\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>"

// history is the fixtures' site: example climbing and then failing,
// keycloak at L5, and a hostile recipe.
func history(t *testing.T) *Loaded {
	t.Helper()
	hostile := fixture(hostileName, 3, 1, true, hostileOutput)
	hostile.Stages[1].Reason = hostileOutput
	hostile.RunURL = "javascript:window.pwned=5"
	l := &Loaded{Problems: []Problem{{"artifacts/<b>bad</b>/results.json", os.ErrNotExist}}}
	for _, r := range []*results.Run{
		fixture("example", 0, 2, false, ""), fixture("example", 1, 3, false, ""), fixture("example", 2, 5, false, ""),
		fixture("example", 3, 4, true, "lint: R014 failed"), fixture("keycloak", 3, 5, false, ""), hostile,
	} {
		l.Entries = append(l.Entries, Entry{Source: "artifacts/" + r.RunID + "/results.json", Run: r})
	}
	return l
}

func buildSite(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "site")
	sum, err := Build(context.Background(), out, history(t), Options{Built: day0.Add(100 * time.Hour), ToolVersion: "v2.3.0"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Recipes != 3 || sum.Runs != 6 {
		t.Errorf("summary %+v, want 3 recipes and 6 runs", sum)
	}
	return out
}

// parsePage parses a page of the site as a browser would.
func parsePage(t *testing.T, site, name string) *html.Node {
	t.Helper()
	f, err := os.Open(filepath.Join(site, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}

func walk(n *html.Node, visit func(*html.Node)) {
	visit(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, visit)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	walk(n, func(c *html.Node) {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	})
	return out
}

func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id }
}

// The index: a row per recipe with its last run's level, verdict, date,
// duration and run link, its page and badge linked relatively; the files
// skipped named.
func TestIndex(t *testing.T) {
	site := buildSite(t)
	doc := parsePage(t, site, IndexFile)
	rows := find(doc, func(n *html.Node) bool {
		c, _ := attr(n, "class")
		return n.Data == "tr" && strings.HasPrefix(c, "recipe ")
	})
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	ex := rows[0]
	cells := find(ex, byTag("td"))
	if got := text(cells[0]); got != "example" {
		t.Errorf("first row is %q, want example (sorted by name)", got)
	}
	want := []string{"example", "", "fail", "L4 of 5: installs, upgrades, backs up and restores, functional tests pass; lint fails", "2026-11-04 02:00 UTC", "5m13s", "4", "run"}
	for i, w := range want {
		if got := strings.TrimSpace(text(cells[i])); i != 1 && got != w {
			t.Errorf("example's %s: %q, want %q", text(find(doc, byTag("th"))[i]), got, w)
		}
	}
	links := map[string]string{}
	for _, a := range find(ex, byTag("a")) {
		href, _ := attr(a, "href")
		links[text(a)] = href
	}
	if links["example"] != "recipes/example.html" || links["run"] != "https://ci.example/runs/3" {
		t.Errorf("links %v", links)
	}
	if cells := find(rows[2], byTag("td")); strings.TrimSpace(text(cells[len(cells)-1])) != "—" {
		t.Errorf("a javascript: run URL shows as a link: %q", text(cells[len(cells)-1]))
	}
	if img := find(ex, byTag("img")); len(img) != 1 || attrOf(img[0], "src") != "badges/example.svg" {
		t.Errorf("badge %v", img)
	}
	if skipped := find(doc, byID("skipped")); len(skipped) != 1 || !strings.Contains(text(skipped[0]), "artifacts/<b>bad</b>/results.json: file does not exist") {
		t.Errorf("the skipped file is not named")
	}
}

func attrOf(n *html.Node, key string) string { v, _ := attr(n, key); return v }

// A recipe's page: its history, newest first, a point per run on the
// chart at its level, and its last report.
func TestRecipePage(t *testing.T) {
	site := buildSite(t)
	doc := parsePage(t, site, "recipes/example.html")
	rows := find(find(doc, byID("history"))[0], func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
	var levels []string
	for _, r := range rows {
		levels = append(levels, text(find(r, byTag("td"))[1]))
	}
	if strings.Join(levels, " ") != "L4 L5 L3 L2" {
		t.Errorf("history levels %v, want newest first", levels)
	}
	chart := find(doc, byID("chart"))
	if len(chart) != 1 || chart[0].Namespace != "svg" {
		t.Fatalf("no SVG chart")
	}
	var ys []float64
	var xs []float64
	for _, c := range find(chart[0], byTag("circle")) {
		x, _ := strconv.ParseFloat(attrOf(c, "cx"), 64)
		y, _ := strconv.ParseFloat(attrOf(c, "cy"), 64)
		xs, ys = append(xs, x), append(ys, y)
	}
	if len(ys) != 4 || !(ys[0] > ys[1] && ys[1] > ys[2] && ys[2] < ys[3]) || xs[0] != chartLeft || xs[3] != chartWidth-chartRight {
		t.Errorf("points at x %v, y %v: want L2, L3, L5, L4 left to right, spanning the plot", xs, ys)
	}
	report := find(doc, byID("last-report"))
	if len(report) != 1 || !strings.Contains(text(report[0]), "lint broke") || len(find(report[0], byTag("table"))) == 0 || len(find(report[0], byTag("details"))) != 1 {
		t.Errorf("the last report is not there with its tables and the failure's collapsed block")
	}
	if back := find(doc, byID("back")); len(back) != 1 || attrOf(back[0], "href") != "../index.html" {
		t.Errorf("no link back to the index")
	}
}

// Every link and image of every page stays inside the site, relative (it
// works under any sub-path) and pointing at a file the site has; only run
// links leave it.
func TestLinksRelative(t *testing.T) {
	site := buildSite(t)
	pages := 0
	err := filepath.WalkDir(site, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".html") {
			return err
		}
		pages++
		rel, _ := filepath.Rel(site, p)
		rel = filepath.ToSlash(rel)
		for _, n := range find(parsePage(t, site, rel), func(*html.Node) bool { return true }) {
			for _, key := range []string{"href", "src"} {
				v, ok := attr(n, key)
				if !ok {
					continue
				}
				u, err := url.Parse(v)
				if err != nil {
					t.Errorf("%s: %s=%q: %v", rel, key, v, err)
					continue
				}
				if c := attrOf(n, "class"); c == "run" || n.Parent.Data == "sub" {
					if u.Scheme != "https" {
						t.Errorf("%s: run link %q", rel, v)
					}
					continue
				}
				if u.IsAbs() || strings.HasPrefix(v, "/") || u.Host != "" {
					t.Errorf("%s: %s=%q is not relative", rel, key, v)
					continue
				}
				target := path.Join(path.Dir(rel), u.Path)
				if _, err := os.Stat(filepath.Join(site, filepath.FromSlash(target))); err != nil {
					t.Errorf("%s: %s=%q: %v", rel, key, v, err)
				}
			}
		}
		return nil
	})
	if err != nil || pages != 4 {
		t.Errorf("%d pages, %v", pages, err)
	}
}

// A hostile recipe name, reason and output show as text everywhere: no
// script, no event handler, no frame, no javascript: link, no file outside
// the site's folders.
func TestHostileRecipe(t *testing.T) {
	site := buildSite(t)
	slug := Slug(hostileName)
	page := "recipes/" + slug + ".html"
	for _, name := range []string{IndexFile, page} {
		doc := parsePage(t, site, name)
		walk(doc, func(n *html.Node) {
			if n.Type != html.ElementNode {
				return
			}
			if n.Data == "script" || n.Data == "iframe" {
				t.Errorf("%s: a <%s> element: %s", name, n.Data, text(n))
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") || strings.Contains(strings.ToLower(a.Val), "javascript:") {
					t.Errorf("%s: <%s %s=%q>", name, n.Data, a.Key, a.Val)
				}
			}
		})
		if !strings.Contains(text(doc), hostileName) {
			t.Errorf("%s: the recipe's name does not show as text", name)
		}
	}
	if report := text(find(parsePage(t, site, page), byID("last-report"))[0]); !strings.Contains(report, "window.pwned=3") {
		t.Errorf("the hostile output does not show as text in the report:\n%s", report)
	}
	entries, _ := os.ReadDir(site)
	for _, e := range entries {
		if n := e.Name(); n != IndexFile && n != RecipesDir && n != BadgesDir {
			t.Errorf("the site holds %s", n)
		}
	}
	if _, err := os.Stat(filepath.Join(site, BadgesDir, slug+".svg")); err != nil {
		t.Error(err)
	}
}

// svgBadge is what a badge must be: an SVG root with a width, and texts.
type svgBadge struct {
	XMLName xml.Name `xml:"svg"`
	Width   int      `xml:"width,attr"`
	Height  int      `xml:"height,attr"`
	Title   string   `xml:"title"`
	Rects   []struct {
		X     int    `xml:"x,attr"`
		Width int    `xml:"width,attr"`
		Fill  string `xml:"fill,attr"`
	} `xml:"g>rect"`
	Texts []string `xml:"g>text"`
}

func parseBadge(t *testing.T, data []byte) svgBadge {
	t.Helper()
	var b svgBadge
	d := xml.NewDecoder(strings.NewReader(string(data)))
	d.Strict = true
	if err := d.Decode(&b); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	if b.XMLName.Space != "http://www.w3.org/2000/svg" || b.XMLName.Local != "svg" {
		t.Fatalf("root %v, want svg", b.XMLName)
	}
	return b
}

func TestBadge(t *testing.T) {
	for name, c := range map[string]struct {
		run     *results.Run
		message string
		colour  string
	}{
		"L5":          {fixture("example", 0, 5, false, ""), "L5", "#4c1"},
		"L2":          {fixture("example", 0, 2, false, ""), "L2", "#dfb317"},
		"L4, lint":    {fixture("example", 0, 4, true, "x"), "L4 failing", failColour},
		"L0, install": {fixture("example", 0, 0, true, "x"), "L0 failing", failColour},
	} {
		t.Run(name, func(t *testing.T) {
			b := parseBadge(t, Badge("example", c.run))
			if len(b.Texts) != 4 || b.Texts[0] != "recipe-test" || b.Texts[1] != "recipe-test" || b.Texts[2] != c.message || b.Texts[3] != c.message {
				t.Errorf("texts %q, want recipe-test and %q", b.Texts, c.message)
			}
			if len(b.Rects) != 3 || b.Rects[1].Fill != c.colour || b.Rects[0].Width+b.Rects[1].Width != b.Width || b.Rects[1].X != b.Rects[0].Width {
				t.Errorf("rects %+v in width %d, want the message's in %s", b.Rects, b.Width, c.colour)
			}
			// Sane: a label and a message of a few characters each.
			if b.Height != 20 || b.Rects[0].Width < 60 || b.Rects[0].Width > 90 || b.Rects[1].Width < 20 || b.Rects[1].Width > 90 {
				t.Errorf("size %dx%d, halves %d and %d", b.Width, b.Height, b.Rects[0].Width, b.Rects[1].Width)
			}
			if b.Title != "example: recipe-test "+c.message {
				t.Errorf("title %q", b.Title)
			}
		})
	}
	hostile := parseBadge(t, Badge(hostileName+"\x00\x1b]\n\xff", fixture("x", 0, 1, false, "")))
	if !strings.HasPrefix(hostile.Title, hostileName) {
		t.Errorf("hostile title %q", hostile.Title)
	}
}

// Build replaces what an earlier build wrote (a recipe gone from the
// history is gone from the site) and leaves the folder's other files.
func TestBuildAgain(t *testing.T) {
	site := buildSite(t)
	os.WriteFile(filepath.Join(site, "CNAME"), []byte("ci.example\n"), 0o644)
	l := &Loaded{Entries: []Entry{{"a", fixture("example", 0, 1, false, "")}}}
	if _, err := Build(context.Background(), site, l, Options{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"CNAME": true, "recipes/example.html": true, "badges/keycloak.svg": false, "recipes/keycloak.html": false} {
		if _, err := os.Stat(filepath.Join(site, name)); (err == nil) != want {
			t.Errorf("%s: %v, want it there: %t", name, err, want)
		}
	}
	if _, err := Build(context.Background(), site, &Loaded{Problems: []Problem{{"x", os.ErrNotExist}}}, Options{}); err == nil || !strings.Contains(err.Error(), "no run to show") {
		t.Errorf("no runs: %v", err)
	}
	if _, err := os.Stat(filepath.Join(site, "recipes", "example.html")); err != nil {
		t.Errorf("a build that failed removed the earlier site: %v", err)
	}
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(site, link)
	if _, err := Build(context.Background(), link, l, Options{}); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("through a symlink: %v", err)
	}
}
