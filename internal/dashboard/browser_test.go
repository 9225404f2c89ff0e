package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/internal/facts"
)

// pagesPrefix is where the test serves the site, as GitHub Pages serves a
// project's site under /<repository>/.
const pagesPrefix = "/cc-ci/recipe-test/"

// The site in real Chromium, served under a sub-path: the index shows a
// row per recipe with its badge loaded, a recipe's link leads to its page
// with the chart and the last report, and back; the hostile recipe's page
// runs none of its script; nothing fails to load.
func TestSiteInChromium(t *testing.T) {
	site := buildSite(t)
	mux := http.NewServeMux()
	mux.Handle(pagesPrefix, http.StripPrefix(strings.TrimSuffix(pagesPrefix, "/"), http.FileServer(http.Dir(site))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL + pagesPrefix
	b := browserEnv(t, base).Browser(t)

	if status := b.Navigate(t, base); status != http.StatusOK {
		t.Fatalf("GET %s: %d", base, status)
	}
	if n := eval[int](t, b, `document.querySelectorAll("#recipes tbody tr.recipe").length`); n != 3 {
		t.Errorf("%d rows in the recipes table, want 3", n)
	}
	if name := b.Text(t, "#recipes tbody tr.recipe td.name"); name != "example" {
		t.Errorf("first row: %q", name)
	}
	wantBadges(t, b, 3)
	wantNoScript(t, b)

	b.Click(t, `#recipes a[href="recipes/example.html"]`)
	b.WaitLocation(t, base+"recipes/example.html")
	b.WaitVisible(t, "#chart")
	if n := eval[int](t, b, `document.querySelectorAll("#chart circle.run").length`); n != 4 {
		t.Errorf("%d points on the chart, want 4", n)
	}
	if w := eval[float64](t, b, `document.querySelector("#chart").getBoundingClientRect().width`); w < 100 {
		t.Errorf("the chart is %.0f px wide", w)
	}
	if report := b.Text(t, "#last-report"); !strings.Contains(report, "lint broke") || !strings.Contains(report, "Level ladder") {
		t.Errorf("the last report is not shown:\n%s", report)
	}
	if rows := eval[int](t, b, `document.querySelectorAll("#history tbody tr").length`); rows != 4 {
		t.Errorf("%d history rows, want 4", rows)
	}
	wantBadges(t, b, 1)

	// Back: #recipes is on the index alone. Go's file server answers
	// index.html with a redirect to its folder; Pages servers serve it.
	b.Click(t, "#back")
	b.WaitVisible(t, "#recipes")
	if u := b.Location(t); u != base && u != base+IndexFile {
		t.Errorf("back at %s, want the index", u)
	}

	b.Navigate(t, base+"recipes/"+Slug(hostileName)+".html")
	b.WaitVisible(t, "#last-report")
	if h := b.Text(t, "h1"); h != hostileName {
		t.Errorf("the hostile name shows as %q", h)
	}
	wantNoScript(t, b)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("the pages reported errors: %q", errs)
	}
}

// browserEnv is a harness environment for a site that is no recipe's app:
// Chromium goes to base directly.
func browserEnv(t *testing.T, base string) *harness.Env {
	t.Helper()
	dir := t.TempDir()
	f := &facts.Facts{Recipe: "dashboard", Domain: "127.0.0.1", BaseURL: base, ProxyURL: "http://127.0.0.1:9", Out: dir, MaskFile: filepath.Join(dir, "masks")}
	if err := os.WriteFile(f.MaskFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "facts.json")
	if err := facts.Write(path, f); err != nil {
		t.Fatal(err)
	}
	t.Setenv(harness.FactsEnv, path)
	return harness.Load(t)
}

// eval evaluates a JavaScript expression in the page, awaiting a promise.
func eval[T any](t *testing.T, b *harness.Browser, js string) T {
	t.Helper()
	var out T
	b.Do(t, "evaluate "+js, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		v, err := chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise)(ctx, tg)
		out = v
		return chromedp.Void{}, err
	})
	return out
}

// wantBadges waits for the page's badges to load and wants n of them, each
// decoded by the browser with a width.
func wantBadges(t *testing.T, b *harness.Browser, n int) {
	t.Helper()
	widths := eval[[]float64](t, b, `Promise.all([...document.querySelectorAll("img.badge")].map(i => i.decode().then(() => i.naturalWidth, () => 0)))`)
	if len(widths) != n {
		t.Errorf("%d badges, want %d", len(widths), n)
	}
	for i, w := range widths {
		if w <= 0 {
			t.Errorf("badge %d did not load (natural width %v)", i, w)
		}
	}
}

// wantNoScript fails when a hostile recipe's script ran on the page.
func wantNoScript(t *testing.T, b *harness.Browser) {
	t.Helper()
	if ran := eval[bool](t, b, `window.pwned !== undefined`); ran {
		t.Errorf("a recipe's script ran on %s", b.Location(t))
	}
}
