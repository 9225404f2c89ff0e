package ingress

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// labelled builds an app the way a recipe declares one: a compose file
// whose services carry the given deploy labels, resolved for app.test.
// An entry "healthcheck:URL" gives the service a healthcheck asking
// for URL instead. "$PORT" in a label is the port of a backend started for that service,
// which answers with what it received (see seen).
func labelled(t *testing.T, services map[string][]string) *recipe.App {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: \"3.8\"\nservices:\n")
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		port := strconv.Itoa(recorder(t, name))
		fmt.Fprintf(&b, "  %s:\n    image: nginx:1.27\n", name)
		for _, l := range services[name] {
			if u, ok := strings.CutPrefix(l, "healthcheck:"); ok {
				fmt.Fprintf(&b, "    healthcheck:\n      test: [\"CMD\", \"wget\", \"-q\", \"-O-\", %q]\n", u)
			}
		}
		b.WriteString("    deploy:\n      labels:\n")
		for _, l := range services[name] {
			if strings.HasPrefix(l, "healthcheck:") {
				continue
			}
			l = strings.ReplaceAll(l, "$PORT", port)
			l = strings.ReplaceAll(l, "$", "$$") // compose would interpolate it
			fmt.Fprintf(&b, "        - %q\n", l)
		}
	}
	dir := t.TempDir()
	for name, body := range map[string]string{".env.sample": "TYPE=t\nDOMAIN=app.test\n", "compose.yml": b.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := recipe.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(recipe.ResolveOptions{Domain: "app.test"})
	if err != nil {
		t.Fatalf("resolve:\n%s\n%v", b.String(), err)
	}
	return app
}

// seen is what a recorder backend received.
type seen struct {
	Service  string            `json:"service"`
	Method   string            `json:"method"`
	Host     string            `json:"host"`
	Path     string            `json:"path"`
	URI      string            `json:"uri"`
	Headers  map[string]string `json:"headers"`
	Username string            `json:"username,omitempty"`
}

// recorder starts a backend that answers 200 with JSON of what it saw,
// and sets X-App: yes on the answer; over TLS when name starts with tls.
func recorder(t *testing.T, name string) int {
	t.Helper()
	start := httptest.NewServer
	if strings.HasPrefix(name, "tls") {
		start = httptest.NewTLSServer // a service with loadbalancer.server.scheme=https
	}
	srv := start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{Service: name, Method: r.Method, Host: r.Host, Path: r.URL.Path, URI: r.RequestURI, Headers: map[string]string{}}
		for _, h := range []string{"X-Forwarded-Prefix", "X-Replaced-Path", "X-Custom", "X-Remove", "Authorization", "X-User", "X-Forwarded-Host", "X-Forwarded-Proto"} {
			if v := r.Header.Get(h); v != "" {
				s.Headers[h] = v
			}
		}
		w.Header().Set("X-App", "yes")
		w.Header().Set("Server", "backend")
		_ = json.NewEncoder(w).Encode(s)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

// exchange sends one request through the ingress, without following
// redirects: what the client gets, and what the backend saw (nil when the
// request did not reach one).
func exchange(t *testing.T, ing Ingress, method, url string, header http.Header) (*http.Response, *seen) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	c := *ing.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-App") != "yes" {
		return resp, nil
	}
	var s seen
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("%s %s: backend answer %q: %v", method, url, body, err)
	}
	return resp, &s
}
