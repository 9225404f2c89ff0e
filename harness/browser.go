package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cc-ci/recipe-test/v2/internal/outdir"
)

// Bounds of the browser.
const (
	// DefaultBrowserTimeout bounds each browser action unless
	// Browser.Timeout says otherwise.
	DefaultBrowserTimeout = 60 * time.Second
	// browserStartTimeout bounds starting Chromium and opening its tab.
	browserStartTimeout = 60 * time.Second
	// browserCloseTimeout bounds closing Chromium gracefully, before the
	// process is killed; leftoverTimeout bounds killing its leftovers.
	browserCloseTimeout = 5 * time.Second
	leftoverTimeout     = 5 * time.Second
)

// ChromiumEnv names an environment variable that may hold the path of the
// Chromium (or Chrome) binary to use.
const ChromiumEnv = "RECIPE_TEST_CHROMIUM"

// Browser is a headless Chromium, started for one test, that reaches the
// app through the run's ingress. It collects the console errors and
// uncaught exceptions of its pages from the moment it starts. Each action
// fails the test when it does not finish within Timeout. It is meant for
// one goroutine: its actions share one tab.
type Browser struct {
	// Timeout bounds each action (DefaultBrowserTimeout).
	Timeout time.Duration

	env *Env
	ctx context.Context // the tab's chromedp context
	dir string          // the fresh user data dir, unique to this browser

	mu     sync.Mutex
	errors []string
}

// Browser starts a headless Chromium for the test, sent through the run's
// ingress by the facts' browser flags, with a fresh profile. Chromium and
// every process it started are gone, and its profile removed, when the
// test ends.
func (e *Env) Browser(t testing.TB) *Browser {
	t.Helper()
	bin, err := chromiumPath()
	if err != nil {
		t.Fatalf("harness: browser: %v", err)
	}
	dir, err := os.MkdirTemp("", "recipe-test-chromium-")
	if err != nil {
		t.Fatalf("harness: browser: profile folder: %v", err)
	}
	b := &Browser{Timeout: DefaultBrowserTimeout, env: e, dir: dir}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), e.chromiumOptions(bin, dir)...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	t.Cleanup(func() { b.close(t, cancelTab, cancelAlloc) })

	// The first action starts the browser, for as long as ctx lives: it
	// cannot carry a timeout itself.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("harness: browser: starting %s: %v", bin, err)
		}
	case <-time.After(browserStartTimeout):
		t.Fatalf("harness: browser: %s did not start within %s", bin, browserStartTimeout)
	}
	return b
}

// chromiumOptions are the command line of a headless Chromium with the
// profile dir, sent through the ingress by the facts' browser flags.
func (e *Env) chromiumOptions(bin, dir string) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(1280, 900),
	}
	if e.Insecure {
		opts = append(opts, chromedp.Flag("ignore-certificate-errors", true))
	}
	for _, f := range e.BrowserFlags {
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	return opts
}

// headlessShell is where Debian's chromium-headless-shell package puts the
// browser itself. Its /usr/bin/chromium-headless-shell is a shell script
// that runs it as a child without exec: killing the script would leave the
// browser behind, so the binary is started directly.
const headlessShell = "/usr/lib/chromium/chromium-headless-shell"

// chromiumPath finds Chromium: $RECIPE_TEST_CHROMIUM, else the headless
// shell (all the harness needs, and a fraction of the full browser's size:
// the action image ships only it), else a full Chromium or Chrome.
func chromiumPath() (string, error) {
	if p := os.Getenv(ChromiumEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$%s: %w", ChromiumEnv, err)
		}
		return p, nil
	}
	return findChromium(exec.LookPath, headlessShell)
}

// findChromium looks for the headless shell at shell, then for a full
// browser on the PATH through lookPath.
func findChromium(lookPath func(string) (string, error), shell string) (string, error) {
	if fi, err := os.Stat(shell); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return shell, nil
	}
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := lookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium found (install chromium-headless-shell or chromium, or set $%s)", ChromiumEnv)
}

// close closes Chromium gracefully if it can, else kills it, then kills
// whatever process of it is left and removes its profile. A process left
// behind fails the test.
func (b *Browser) close(t testing.TB, cancelTab, cancelAlloc context.CancelFunc) {
	ctx, cancel := context.WithTimeout(b.ctx, browserCloseTimeout)
	_ = chromedp.Cancel(ctx) // a browser that does not close in time is killed below
	cancel()
	cancelTab()
	cancelAlloc() // kills the browser process if it still runs, and waits for it
	if left := killLeftovers(b.dir, leftoverTimeout); len(left) > 0 {
		t.Errorf("harness: browser: Chromium processes %v of profile %s outlived it", left, b.dir)
	}
	if err := removeAllRetry(b.dir); err != nil {
		t.Errorf("harness: browser: removing its profile: %v", err)
	}
}

// killLeftovers kills the processes whose command line holds
// --user-data-dir=<dir>: those of the Chromium started with that fresh,
// unique profile (helpers may outlive the main process for a moment). It
// looks again until it finds none a few times in a row, and returns the
// processes still there after timeout.
func killLeftovers(dir string, timeout time.Duration) []int {
	const quietPasses = 3
	deadline := time.Now().Add(timeout)
	for quiet := 0; ; time.Sleep(20 * time.Millisecond) {
		pids := profileProcesses(dir)
		if len(pids) == 0 {
			if quiet++; quiet == quietPasses {
				return nil
			}
			continue
		}
		quiet = 0
		if time.Now().After(deadline) {
			return pids
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// profileProcesses lists the processes started with --user-data-dir=<dir>.
func profileProcesses(dir string) []int {
	want := []byte("--user-data-dir=" + dir)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
			if bytes.Equal(arg, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// removeAllRetry removes dir, trying again for a moment: a helper process
// that just died may have been writing in it.
func removeAllRetry(dir string) error {
	var err error
	for range 10 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// listen collects console errors and uncaught exceptions. It runs on the
// tab's event loop: it must be quick and must not call the browser.
func (b *Browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		parts := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			parts = append(parts, remoteText(a))
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = d.Text // "Uncaught", "Uncaught (in promise)"
		if d.Exception != nil {
			msg += " " + remoteText(d.Exception)
		}
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry == nil || ev.Entry.Level != cdplog.EntryLevelError || isFavicon(ev.Entry) {
			return
		}
		msg = string(ev.Entry.Source) + " error: " + ev.Entry.Text
		if ev.Entry.URL != "" {
			msg += " (" + ev.Entry.URL + ")"
		}
	default:
		return
	}
	b.mu.Lock()
	b.errors = append(b.errors, msg)
	b.mu.Unlock()
}

// isFavicon reports the browser's own request for /favicon.ico failing:
// headless Chromium asks every site for one, and reports its 404 as a
// network error, though no page asked for it.
func isFavicon(e *cdplog.Entry) bool {
	u, err := url.Parse(e.URL)
	return e.Source == cdplog.EntrySourceNetwork && err == nil && u.Path == "/favicon.ico"
}

// remoteText renders a console argument or an exception as DevTools does,
// briefly: a string as is, an error by the first line of its description.
func remoteText(o *runtime.RemoteObject) string {
	switch {
	case o == nil:
		return ""
	case len(o.Value) > 0:
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case o.Description != "":
		first, _, _ := strings.Cut(o.Description, "\n")
		return first
	}
	return string(o.Type)
}

// ConsoleErrors returns the errors the pages reported so far, in order,
// as the DevTools console shows them: console.error and console.assert
// calls, uncaught exceptions and unhandled rejections, and the browser's
// errors about a page (a resource that failed to load, a blocked request),
// but for a missing /favicon.ico, which the browser asks for by itself.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// Do runs chromedp actions in the browser's tab within Timeout, failing
// the test with what, for steps the helpers do not cover.
func (b *Browser) Do(t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := b.actionContext(t)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("harness: browser: %s: %v", what, b.timeoutError(ctx, err))
	}
}

// actionContext bounds one action by Timeout and by the test.
func (b *Browser) actionContext(t testing.TB) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(b.ctx, b.Timeout)
	stop := context.AfterFunc(testContext(t), cancel)
	return ctx, func() { stop(); cancel() }
}

// timeoutError says that an action ran out of time, rather than the bare
// context error.
func (b *Browser) timeoutError(ctx context.Context, err error) error {
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("not done within %s: %w", b.Timeout, err)
	}
	return err
}

// URL returns the absolute URL of a path on the app; a URL with a scheme
// (http:, https:, data:, about:) is returned as is.
func (b *Browser) URL(path string) string {
	if u, err := url.Parse(path); err == nil && u.Scheme != "" {
		return path
	}
	return strings.TrimRight(b.env.BaseURL, "/") + "/" + strings.TrimLeft(path, "/")
}

// Navigate loads a path of the app (or a URL) and waits for its load
// event. It returns the HTTP status of the document (0 when it came from
// no HTTP response, like a data: URL); it does not fail the test for an
// error status.
func (b *Browser) Navigate(t testing.TB, path string) int {
	t.Helper()
	ctx, cancel := b.actionContext(t)
	defer cancel()
	u := b.URL(path)
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("harness: browser: navigate to %s: %v", u, b.timeoutError(ctx, err))
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// WaitVisible waits until an element matching a CSS selector is visible.
func (b *Browser) WaitVisible(t testing.TB, selector string) {
	t.Helper()
	b.Do(t, "wait for "+selector+" to be visible", chromedp.WaitVisible(chromedp.CSS(selector)))
}

// Click clicks the first element matching a CSS selector, once it is
// visible.
func (b *Browser) Click(t testing.TB, selector string) {
	t.Helper()
	b.Do(t, "click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// SendKeys types text into the first element matching a CSS selector,
// once it is visible. The text is never logged, so it may be a
// credential.
func (b *Browser) SendKeys(t testing.TB, selector, text string) {
	t.Helper()
	b.Do(t, "type into "+selector, chromedp.SendKeys(chromedp.CSS(selector), text))
}

// Text returns the visible text of the first element matching a CSS
// selector, trimmed, waiting for the element to exist.
func (b *Browser) Text(t testing.TB, selector string) string {
	t.Helper()
	ctx, cancel := b.actionContext(t)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("harness: browser: text of %s: %v", selector, b.timeoutError(ctx, err))
	}
	return strings.TrimSpace(s)
}

// Screenshot saves a PNG of the whole page as <Out>/screenshots/<name>.png
// (characters other than letters, digits, '.', '-' and '_' in name become
// '_') and returns its path. Without an Out folder it saves in a folder of
// the test's own.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	ctx, cancel := b.actionContext(t)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("harness: browser: screenshot %s: %v", name, b.timeoutError(ctx, err))
	}
	out := b.env.Out
	if out == "" {
		out = t.TempDir()
	}
	// Through outdir: no write follows a symlink out of the folder.
	d, err := outdir.Open(out)
	if err != nil {
		t.Fatalf("harness: browser: screenshot %s: %v", name, err)
	}
	defer d.Close()
	rel := "screenshots/" + fileName(name) + ".png"
	if err := d.WriteFile(rel, png, 0o644); err != nil {
		t.Fatalf("harness: browser: screenshot %s: %v", name, err)
	}
	path := filepath.Join(out, filepath.FromSlash(rel))
	t.Logf("screenshot: %s", path)
	return path
}

// fileName keeps letters, digits, '.', '-' and '_' of name, replacing the
// rest with '_'.
func fileName(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, name)
	if strings.Trim(s, ".") == "" {
		return "screenshot"
	}
	return s
}

// locationPoll is how often WaitLocation looks at the page's URL.
const locationPoll = 100 * time.Millisecond

// Location returns the URL of the page the browser shows.
func (b *Browser) Location(t testing.TB) string {
	t.Helper()
	ctx, cancel := b.actionContext(t)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("harness: browser: location: %v", b.timeoutError(ctx, err))
	}
	return u
}

// WaitLocation waits, within Timeout, until the URL of the page the
// browser shows starts with prefix (after a form's submission and the
// redirects it leads to, as in a login), and returns it.
func (b *Browser) WaitLocation(t testing.TB, prefix string) string {
	t.Helper()
	ctx, cancel := b.actionContext(t)
	defer cancel()
	last := ""
	for {
		// A page that is being replaced cannot answer: look again.
		if u, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			if strings.HasPrefix(u, prefix) {
				return u
			}
			last = u
		}
		select {
		case <-ctx.Done():
			t.Fatalf("harness: browser: the page did not reach %s within %s (it shows %s)", prefix, b.Timeout, last)
		case <-time.After(locationPoll):
		}
	}
}
