// Package cryptpad holds the recipe tests of Co-op Cloud's cryptpad recipe
// (CryptPad, the end-to-end encrypted collaboration suite, serving its
// shell on the main domain and its user interface from a sandbox domain):
// what recipe-test's custom stage runs against the deployed app. With plain
// `go test` only the parsing tests of the documented answers run; the
// others skip, since no app is deployed.
//
// Unverified here: no CryptPad image can be built or pulled on the
// machines these tests were written on. A pad's content is encrypted in the
// browser, so the round trip of a pad is checked in Chromium, not through
// an API.
package cryptpad

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// CryptPad's shell answers and its client configuration names the run's
// domain as the main origin.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	page := c.Get(t, "/").WantStatus(t, http.StatusOK).Text()
	if m := title.FindStringSubmatch(page); m == nil || !strings.Contains(m[1], "CryptPad") {
		t.Errorf("GET /: no CryptPad title: %.300q", page)
	}
	cfg, err := parseConfig(c.Get(t, "/api/config").WantStatus(t, http.StatusOK).Text())
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://" + env.Domain; cfg.HTTPUnsafeOrigin != want {
		t.Errorf("main origin %q, want %q", cfg.HTTPUnsafeOrigin, want)
	}
	if cfg.HTTPSafeOrigin == cfg.HTTPUnsafeOrigin {
		t.Errorf("the sandbox origin is the main origin (%s): CryptPad's isolation needs two", cfg.HTTPSafeOrigin)
	}
}

// The single page application's shell loads its assets from /customize/
// (the instance's branding), /common/ and /components/: each answers with
// the content type of its kind, and the branding's logo and favicon are
// served.
func TestSPAAssetsAndBranding(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	page := c.Get(t, "/").WantStatus(t, http.StatusOK).Text()
	refs := assets(page)
	for _, dir := range []string{"/customize/", "/common/", "/components/"} {
		found := false
		for _, r := range refs {
			found = found || strings.HasPrefix(r, dir)
		}
		if !found {
			t.Errorf("the shell loads nothing from %s: %q", dir, refs)
		}
	}
	for _, r := range append(refs, "/customize/CryptPad_logo.svg", "/customize/favicon/main-favicon.png") {
		resp := c.Get(t, r)
		if resp.Status != http.StatusOK {
			t.Errorf("GET %s: %s", r, resp)
			continue
		}
		ext := path.Ext(strings.SplitN(r, "?", 2)[0])
		want := mime.TypeByExtension(ext)
		got, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if ext == ".js" {
			if got != "application/javascript" && got != "text/javascript" {
				t.Errorf("GET %s: Content-Type %q, want JavaScript", r, got)
			}
		} else if want != "" && got != strings.SplitN(want, ";", 2)[0] {
			t.Errorf("GET %s: Content-Type %q, want %q", r, got, want)
		}
		if len(resp.Body) == 0 {
			t.Errorf("GET %s: empty", r)
		}
	}
}

// editorText is the text of the pad's editor (CKEditor's frame inside the
// sandbox frame), "" while it is not there.
const editorText = `(() => {
  const f = document.querySelector("iframe.cke_wysiwyg_frame");
  const body = f && f.contentDocument && f.contentDocument.body;
  return body && body.isContentEditable ? body.innerText : "";
})()`

// The predecessor's test, to the end: a new pad is created in Chromium,
// text typed into its editor is saved, and after a reload of the pad's URL
// the editor shows it again (decrypted in the browser from what the
// server stored).
func TestPadRoundTripInBrowser(t *testing.T) {
	env := harness.Load(t)
	if strings.HasPrefix(env.BaseURL, "http://") {
		t.Skip("needs the traefik ingress (--ingress traefik): the recipe's CryptPad serves its origins as https://, and the pad's sandbox frame is loaded from that origin")
	}
	b := env.Browser(t)
	b.Timeout = 2 * time.Minute
	if status := b.Navigate(t, "/pad/"); status != http.StatusOK {
		t.Fatalf("GET /pad/ in the browser: %d", status)
	}
	frame := sandboxFrame(t, b)
	pollInFrame(t, b, frame, "the pad's editor", `(`+editorText+`) !== "" || document.querySelector("iframe.cke_wysiwyg_frame")`)
	// A new pad gets its URL (its keys in the fragment) once created.
	padURL := b.WaitLocation(t, b.URL("/pad/#/"))
	marker := "recipe-test " + strings.ToLower(env.Credential(t, "pad")[:12])
	b.Do(t, "focus the editor", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](`(() => { const f = document.querySelector("iframe.cke_wysiwyg_frame"); f.contentDocument.body.focus(); return true; })()`,
			chromedp.WithPollingInFrame(frame))(ctx, tg)
		return chromedp.Void{}, err
	})
	b.Do(t, "type into the pad", chromedp.KeyEvent(marker))
	pollInFrame(t, b, frame, "the typed text in the editor", fmt.Sprintf(`(%s).includes(%q)`, editorText, marker))
	// CryptPad's toolbar says "Saved" once the server acknowledged the
	// patch; reloading earlier could lose it.
	pollInFrame(t, b, frame, "the pad saved", `(() => { const s = document.querySelector(".cp-toolbar-spinner"); return !!s && /saved/i.test(s.innerText) && !/saving/i.test(s.innerText); })()`)
	b.Screenshot(t, "pad-typed")

	if status := b.Navigate(t, "about:blank"); status != 0 {
		t.Fatalf("about:blank: %d", status)
	}
	b.Navigate(t, padURL)
	frame = sandboxFrame(t, b)
	pollInFrame(t, b, frame, "the pad's text after a reload", fmt.Sprintf(`(%s).includes(%q)`, editorText, marker))
	b.Screenshot(t, "pad-reloaded")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Logf("console errors (not failing the test: CryptPad logs its own): %v", errs)
	}
}

// sandboxFrame returns the frame CryptPad loads its user interface in,
// from the sandbox domain (a subdomain of the run's domain, so Chromium
// keeps it in the page's process and its document can be queried).
func sandboxFrame(t *testing.T, b *harness.Browser) *chromedp.Node {
	t.Helper()
	var frame *chromedp.Node
	b.Do(t, "find the sandbox frame", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		nodes, err := chromedp.Nodes(chromedp.CSS("#sbox-iframe"))(ctx, tg)
		if err == nil && len(nodes) > 0 {
			frame = nodes[0]
		}
		return chromedp.Void{}, err
	})
	if frame == nil {
		t.Fatal("no sandbox frame (#sbox-iframe) on the page")
	}
	return frame
}

// pollInFrame waits until a JavaScript expression is truthy in the frame.
func pollInFrame(t *testing.T, b *harness.Browser, frame *chromedp.Node, what, expr string) {
	t.Helper()
	b.Do(t, "wait for "+what, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingInFrame(frame), chromedp.WithPollingTimeout(0),
			chromedp.WithPollingInterval(500*time.Millisecond))(ctx, tg)
		return chromedp.Void{}, err
	})
}
