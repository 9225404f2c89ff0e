package ingress

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// fakeResolver answers TaskAddress from a function and counts the calls.
type fakeResolver struct {
	mu    sync.Mutex
	calls map[string]int
	addr  func(svc string, call int) (netip.Addr, error)
}

func (f *fakeResolver) TaskAddress(_ context.Context, svc string) (netip.Addr, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[svc]++
	n := f.calls[svc]
	f.mu.Unlock()
	return f.addr(svc, n)
}

func (f *fakeResolver) count(svc string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[svc]
}

// loopback resolves every service to 127.0.0.1.
func loopback() *fakeResolver {
	return &fakeResolver{addr: func(string, int) (netip.Addr, error) {
		return netip.MustParseAddr("127.0.0.1"), nil
	}}
}

// backend is an httptest server that says who it is and what it saw.
func backend(t *testing.T, name string) (port int) {
	t.Helper()
	srv := httptest.NewServer(echo(name))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

func echo(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "backend=%s host=%s path=%s xfh=%s", name, r.Host, r.URL.Path, r.Header.Get("X-Forwarded-Host"))
	})
}

// service is a recipe service carrying routers, in stack "teststack".
func service(name string, routers ...recipe.Router) recipe.Service {
	return recipe.Service{Name: name, FullName: "teststack_" + name, Routers: routers, Labels: map[string]string{}}
}

func testApp(domain string, services ...recipe.Service) *recipe.App {
	return &recipe.App{Recipe: "test", Domain: domain, Stack: "teststack", Services: services}
}

func newDirect(t *testing.T, app *recipe.App, r Resolver) Ingress {
	t.Helper()
	d, err := NewDirect(context.Background(), app, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("NewDirect: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// get fetches url through the ingress and returns the status and body.
func get(t *testing.T, ing Ingress, url string) (int, string) {
	t.Helper()
	resp, err := ing.HTTPClient().Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}
