// Package ingress reaches the app under test by its domain, for the Go HTTP
// client and for Chromium alike, through one mechanism: an HTTP forward
// proxy on 127.0.0.1 that serves only the run's domain(s) and answers 403 to
// anything else, so neither a test nor a browser page can send traffic
// anywhere else (in particular never to 10.x overlay addresses).
//
// Two modes differ only in where the proxy sends what it accepts:
//   - direct (machines without Traefik or DNS, like CI): plain HTTP for
//     http://<domain>/... is routed by the recipe's traefik labels straight
//     to a task of the service that carries the matching router;
//   - traefik (production): CONNECT <domain>:443 is tunnelled to Traefik,
//     TLS staying end to end between the client and Traefik.
package ingress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Ingress reaches the app under test by its domain.
type Ingress interface {
	// BaseURL is "http://<domain>" in direct mode, "https://<domain>" in
	// traefik mode.
	BaseURL() string
	// ProxyURL is the local proxy both the Go client and the browser use.
	ProxyURL() *url.URL
	// HTTPClient returns a client that goes through the proxy, with the
	// mode's TLS settings applied. It follows redirects like any client.
	HTTPClient() *http.Client
	// BrowserFlags are the Chromium command-line flags that send every
	// request of the browser through the proxy.
	BrowserFlags() []string
	// Close stops the proxy and drops open tunnels.
	Close() error
}

// Resolver finds where a swarm service can be reached from the host.
type Resolver interface {
	// TaskAddress returns the address of one running task of the service,
	// reachable from the host (its docker_gwbridge IPv4).
	TaskAddress(ctx context.Context, serviceFullName string) (netip.Addr, error)
}

// proxy is the local listener both modes share.
type proxy struct {
	srv     *http.Server
	ln      net.Listener
	url     *url.URL
	inner   *connListener // CONNECT tunnels served by srv itself (direct mode)
	tunnels tunnelSet     // raw tunnels to an upstream (traefik mode)
	log     *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

// listenProxy listens on a random loopback port; start serves there.
func listenProxy(ctx context.Context, log *slog.Logger) (*proxy, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ingress proxy: listening on 127.0.0.1: %w", err)
	}
	return &proxy{
		ln:    ln,
		url:   &url.URL{Scheme: "http", Host: ln.Addr().String()},
		inner: newConnListener(ln.Addr()),
		log:   log,
		srv: &http.Server{
			ReadHeaderTimeout: 30 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		},
	}, nil
}

// start serves h on the listener and on the tunnel listener. The mode
// calls it once it is fully set up, so its handler sees it complete.
func (p *proxy) start(h http.Handler) {
	p.srv.Handler = h
	go p.serve(p.ln)
	go p.serve(p.inner)
}

func (p *proxy) serve(ln net.Listener) {
	if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		p.log.Error("ingress proxy stopped", "addr", ln.Addr().String(), "err", err)
	}
}

// ProxyURL returns http://127.0.0.1:<port>.
func (p *proxy) ProxyURL() *url.URL {
	u := *p.url
	return &u
}

// browserFlags sends all of Chromium's traffic through the proxy; the
// bypass list "<-loopback>" removes Chromium's implicit bypass of loopback
// addresses, so a page cannot reach local services behind our back either.
func (p *proxy) browserFlags() []string {
	return []string{
		"--proxy-server=" + p.url.String(),
		"--proxy-bypass-list=<-loopback>",
	}
}

func (p *proxy) close() error {
	p.closeOnce.Do(func() {
		// Close also closes the tunnel listener and every connection
		// accepted from it; raw tunnels were hijacked, so we drop them.
		p.closeErr = p.srv.Close()
		// Serve may not have started yet (it would close them later).
		_ = p.ln.Close()
		_ = p.inner.Close()
		p.tunnels.closeAll()
		if p.closeErr != nil {
			p.closeErr = fmt.Errorf("closing ingress proxy %s: %w", p.url.Host, p.closeErr)
		}
	})
	return p.closeErr
}

// newClient returns a client whose every request goes through the proxy,
// never through HTTP_PROXY and friends.
func (p *proxy) newClient(tr *http.Transport) *http.Client {
	tr.Proxy = http.ProxyURL(p.ProxyURL())
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.ForceAttemptHTTP2 = true
	tr.TLSHandshakeTimeout = 10 * time.Second
	tr.IdleConnTimeout = 30 * time.Second
	tr.MaxIdleConnsPerHost = 8
	return &http.Client{Transport: tr}
}

// fail answers a request the proxy itself cannot serve. The body starts
// with "recipe-test ingress:" so it cannot be mistaken for the app's own.
func fail(w http.ResponseWriter, log *slog.Logger, code int, format string, args ...any) {
	msg := "recipe-test ingress: " + fmt.Sprintf(format, args...)
	log.Debug("ingress refused a request", "status", code, "reason", msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// splitHost returns a request's host, lowercased and without a trailing
// dot, and its port ("" when none was given).
func splitHost(hostport string) (host, port string) {
	host = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	}
	return strings.TrimSuffix(strings.ToLower(host), "."), port
}
