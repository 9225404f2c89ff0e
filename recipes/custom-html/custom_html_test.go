// Package customhtml holds the recipe tests of Co-op Cloud's custom-html
// recipe (a static site served by nginx from the content volume): what
// recipe-test's custom stage runs against the deployed app. With plain
// `go test` they skip, since no app is deployed.
package customhtml

import (
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// root is where the recipe mounts its content volume: the site.
const root = "/usr/share/nginx/html"

// putFile copies a file into the site, as `abra app cp <app> file
// app:/usr/share/nginx/html/` does, and removes it when the test ends.
func putFile(t *testing.T, env *harness.Env, rel, content string) {
	t.Helper()
	file := path.Join(root, rel)
	res := env.ExecShell(t, "app", "mkdir -p "+quote(path.Dir(file))+" && printf '%s' "+quote(content)+" > "+quote(file))
	if res.ExitCode != 0 {
		t.Fatalf("writing %s in the app's container: exit %d: %s", file, res.ExitCode, res.Stderr)
	}
	t.Cleanup(func() { env.ExecShell(t, "app", "rm -f "+quote(file)) })
}

// quote makes s one word for the container's shell.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runDir is a folder of the site unique to this run and test.
func runDir(t *testing.T, env *harness.Env, name string) string {
	return "rt-" + strings.ToLower(env.Credential(t, name)[:10])
}

// Port of the predecessor's health check: the site answers / over its
// domain, through the run's ingress, with an HTML page.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	resp := env.HTTP().Get(t, "/")
	if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(strings.ToLower(resp.Text()), "<title>") {
		t.Fatalf("GET /: %s", resp)
	}
}

// A page put into the content volume is served byte for byte, at its path
// and at its folder's URL (nginx's index), and is gone once deleted.
func TestContentRoundTrip(t *testing.T) {
	env := harness.Load(t)
	dir := runDir(t, env, "roundtrip")
	page := "<!DOCTYPE html>\n<html><head><title>round trip</title></head><body><p id=\"v\">" +
		env.Credential(t, "roundtrip-value") + "</p></body></html>\n"
	putFile(t, env, dir+"/index.html", page)
	c := env.HTTP()
	for _, p := range []string{"/" + dir + "/index.html", "/" + dir + "/"} {
		if resp := c.Get(t, p); resp.Status != http.StatusOK || resp.Text() != page {
			t.Errorf("GET %s: %s, want the page written", p, resp)
		}
	}
	if res := env.ExecShell(t, "app", "rm "+quote(path.Join(root, dir, "index.html"))); res.ExitCode != 0 {
		t.Fatalf("rm: %+v", res)
	}
	if resp := c.Get(t, "/"+dir+"/index.html"); resp.Status != http.StatusNotFound {
		t.Errorf("after deleting the page, GET answered %s", resp)
	}
}

// Each kind of file a site holds is served with its content type.
func TestContentTypes(t *testing.T) {
	env := harness.Load(t)
	dir := runDir(t, env, "types")
	files := map[string]struct{ content, want string }{
		"page.html":  {"<!DOCTYPE html><title>t</title>", "text/html"},
		"style.css":  {"body { color: #123456; }", "text/css"},
		"app.js":     {"console.log('ok');", "application/javascript"},
		"data.json":  {`{"ok": true}`, "application/json"},
		"image.svg":  {`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`, "image/svg+xml"},
		"notes.txt":  {"plain", "text/plain"},
		"font.woff2": {"wOF2", "font/woff2"},
	}
	for name, f := range files {
		putFile(t, env, dir+"/"+name, f.content)
	}
	c := env.HTTP()
	for name, f := range files {
		resp := c.Get(t, "/"+dir+"/"+name)
		if ct := resp.Header.Get("Content-Type"); resp.Status != http.StatusOK || !strings.HasPrefix(ct, f.want) || resp.Text() != f.content {
			t.Errorf("GET %s: %d, Content-Type %q (want %s), body %q", name, resp.Status, ct, f.want, resp.Body)
		}
	}
}

// What a static server does beyond serving files: a folder asked for
// without its slash redirects to it (nginx's 301), a missing page is a 404,
// and nothing outside the site's root is reachable.
func TestRedirectsAndNotFound(t *testing.T) {
	env := harness.Load(t)
	dir := runDir(t, env, "redirect")
	putFile(t, env, dir+"/index.html", "<!DOCTYPE html><title>folder</title>")
	c := env.HTTP().WithoutRedirects()
	resp := c.Get(t, "/"+dir)
	if loc := resp.Header.Get("Location"); resp.Status != http.StatusMovedPermanently || !strings.HasSuffix(loc, "/"+dir+"/") {
		t.Errorf("GET /%s: %d, Location %q, want a 301 to /%s/", dir, resp.Status, loc, dir)
	}
	if resp := c.Get(t, "/"+dir+"/missing.html"); resp.Status != http.StatusNotFound {
		t.Errorf("GET a missing page: %s", resp)
	}
	if resp := c.Get(t, "/../../../etc/passwd"); resp.Status == http.StatusOK || strings.Contains(resp.Text(), "root:") {
		t.Errorf("GET /../../../etc/passwd: %s", resp)
	}
}

// Port of the predecessor's page-render check: a page with its own
// stylesheet and script renders in Chromium through the same ingress, the
// script runs, nothing fails to load; a screenshot is kept with the results.
func TestPageRendersInBrowser(t *testing.T) {
	env := harness.Load(t)
	dir := runDir(t, env, "browser")
	putFile(t, env, dir+"/style.css", "#greeting { color: rgb(18, 52, 86); }\n")
	putFile(t, env, dir+"/app.js", "document.getElementById('status').textContent = 'script ran';\ndocument.body.dataset.ready = 'true';\n")
	putFile(t, env, dir+"/index.html", `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>custom-html</title><link rel="stylesheet" href="style.css"></head>
<body><h1 id="greeting">Hello from custom-html</h1><p id="status">no script</p><script src="app.js"></script></body></html>
`)
	b := env.Browser(t)
	if status := b.Navigate(t, "/"+dir+"/"); status != http.StatusOK {
		t.Fatalf("navigating to /%s/: HTTP %d", dir, status)
	}
	b.WaitVisible(t, `body[data-ready="true"]`)
	if got := b.Text(t, "#greeting"); got != "Hello from custom-html" {
		t.Errorf("#greeting = %q", got)
	}
	if got := b.Text(t, "#status"); got != "script ran" {
		t.Errorf("#status = %q", got)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	b.Screenshot(t, "custom-html-page")
}
