package harness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds each browser action: a hanging page fails the
// test instead of hanging it.
const browserTimeout = 60 * time.Second

// Browser is a headless Chromium that reaches the app through the run's
// ingress.
type Browser struct {
	env     *Env
	ctx     context.Context
	mu      sync.Mutex
	console []string
}

// chromium finds the system Chromium.
func chromium() string {
	for _, p := range []string{os.Getenv("RECIPE_TEST_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Browser starts a headless Chromium for the test (closed at its end) and
// starts collecting console errors and uncaught exceptions.
func (e *Env) Browser(t testing.TB) *Browser {
	t.Helper()
	bin := chromium()
	if bin == "" {
		t.Fatal("harness: no Chromium found (install Debian's chromium, or set RECIPE_TEST_CHROMIUM)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
	}
	for _, f := range e.BrowserFlags {
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	if e.Insecure {
		opts = append(opts, chromedp.Flag("ignore-certificate-errors", true))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Browser{env: e, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // kills the browser process and waits for it
	})
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatalf("harness: start Chromium %s: %v", bin, err)
	}
	return b
}

func (b *Browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			case a.Description != "":
				parts = append(parts, a.Description)
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
	default:
		return
	}
	b.mu.Lock()
	b.console = append(b.console, msg)
	b.mu.Unlock()
}

func (b *Browser) run(t testing.TB, what string, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, a); err != nil {
		t.Fatalf("harness: browser: %s: %v", what, err)
	}
}

// Navigate loads a path of the app (or an absolute URL) and waits for it.
func (b *Browser) Navigate(t testing.TB, path string) {
	t.Helper()
	url := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		url = strings.TrimRight(b.env.BaseURL, "/") + "/" + strings.TrimLeft(path, "/")
	}
	b.run(t, "navigate to "+url, chromedp.Navigate(url))
}

// WaitVisible waits until an element matching selector is visible.
func (b *Browser) WaitVisible(t testing.TB, selector string) {
	t.Helper()
	b.run(t, "wait for "+selector, chromedp.WaitVisible(chromedp.CSS(selector)))
}

// Text returns the visible text of the first element matching selector.
func (b *Browser) Text(t testing.TB, selector string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("harness: browser: text of %s: %v", selector, err)
	}
	return strings.TrimSpace(s)
}

// ConsoleErrors returns the console.error calls and uncaught exceptions of
// the pages loaded so far.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// Screenshot saves a PNG of the whole page as <out>/screenshots/<name>.png
// and returns its path.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("harness: browser: screenshot: %v", err)
	}
	dir := filepath.Join(b.env.Out, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("harness: screenshot: %v", err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("harness: screenshot: %v", err)
	}
	t.Logf("screenshot %s", path)
	return path
}
