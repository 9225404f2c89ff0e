package ingress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// directTo is a direct ingress for app.test whose one router sends
// everything to h.
func directTo(t *testing.T, h http.Handler) Ingress {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return directToPort(t, srv.Listener.Addr().(*net.TCPAddr).Port)
}

func directToPort(t *testing.T, port int) Ingress {
	t.Helper()
	app := testApp("app.test", service("web", recipe.Router{Name: "web", Rule: "Host(`app.test`)", Hosts: []string{"app.test"}, Port: port}))
	return newDirect(t, app, loopback())
}

// progressLog collects progress lines and checks none repeats the last.
type progressLog struct {
	t     *testing.T
	lines []string
}

func (p *progressLog) add(line string) {
	if n := len(p.lines); n > 0 && p.lines[n-1] == line {
		p.t.Errorf("progress line repeated: %q", line)
	}
	p.lines = append(p.lines, line)
}

func TestProbeAcceptsRedirectWithoutFollowing(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.Handle("/login", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	mux.Handle("/{$}", http.RedirectHandler("/login", http.StatusFound))
	d := directTo(t, mux)
	res, err := Probe(context.Background(), d, ProbeOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusFound || res.Location != "/login" || res.URL != "http://app.test/" || res.Attempts != 1 {
		t.Errorf("result = %+v, want one 302 to /login at http://app.test/", res)
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

func TestProbeFailsOn500(t *testing.T) {
	d := directTo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal server error (FAIL_MODE=http500)", http.StatusInternalServerError)
	}))
	p := &progressLog{t: t}
	res, err := Probe(context.Background(), d, ProbeOptions{Path: "/api", Timeout: 600 * time.Millisecond, Interval: 50 * time.Millisecond, Progress: p.add})
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("err = %v, want ErrNotReady", err)
	}
	t.Logf("error: %v", err)
	wantContains(t, "error", err.Error(), "500 Internal Server Error", "http://app.test/api", "FAIL_MODE=http500")
	if res.Attempts < 3 {
		t.Errorf("attempts = %d, want retries", res.Attempts)
	}
	if len(p.lines) != 1 {
		t.Errorf("progress = %q, want one line for one unchanging answer", p.lines)
	}
}

// The task's address is known but the app listens only later: the probe
// retries through the proxy's 502 answers until the app is up.
func TestProbeRetriesUntilBackendStarts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	d := directToPort(t, ln.Addr().(*net.TCPAddr).Port)
	started := make(chan struct{})
	go func() {
		defer close(started)
		time.Sleep(700 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("listening again on %s: %v", addr, err)
			return
		}
		srv := httptest.NewUnstartedServer(echo("late"))
		srv.Listener = ln
		srv.Start()
		t.Cleanup(srv.Close)
	}()
	p := &progressLog{t: t}
	res, err := Probe(context.Background(), d, ProbeOptions{Timeout: 10 * time.Second, Interval: 100 * time.Millisecond, Progress: p.add})
	<-started
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || res.Attempts < 2 {
		t.Errorf("result = %+v, want 200 after retries", res)
	}
	t.Logf("progress: %q", p.lines)
	if len(p.lines) != 2 || !strings.Contains(p.lines[0], "502") || !strings.Contains(p.lines[1], "200 OK") {
		t.Errorf("progress = %q, want a 502 line then a ready line", p.lines)
	}
}

func TestProbeNetworkError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	tr := newTraefik(t, TraefikOptions{Domain: "app.example.com", ConnectTo: ln.Addr().String()})
	_, err = Probe(context.Background(), tr, ProbeOptions{Timeout: 300 * time.Millisecond, Interval: 50 * time.Millisecond})
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("err = %v, want ErrNotReady", err)
	}
	t.Logf("error: %v", err)
	wantContains(t, "error", err.Error(), "https://app.example.com/", "no answer", "Bad Gateway")
}

func TestProbeCancelled(t *testing.T) {
	// Cancel once the backend has answered, so the error can name its answer
	// however slow this machine is.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := directTo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		time.AfterFunc(100*time.Millisecond, cancel)
	}))
	_, err := Probe(ctx, d, ProbeOptions{Timeout: time.Minute, Interval: 20 * time.Millisecond})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrNotReady) {
		t.Errorf("err = %v, want the caller's context error", err)
	}
	wantContains(t, "error", err.Error(), "503")
}
