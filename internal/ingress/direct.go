package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// direct reaches the app without Traefik or DNS: the proxy routes plain
// HTTP for the app's domains by the recipe's traefik labels, as Traefik
// would, straight to a running task of the service carrying the router.
type direct struct {
	*proxy
	domain   string
	table    *routeTable   // the app's
	also     []*routeTable // its dependencies', see NewDirect
	tasks    *taskCache
	dialer   net.Dialer
	upstream *http.Transport
	client   *http.Client
	streams  []*Stream // TCP and UDP ways in, see streams.go
}

var _ Ingress = (*direct)(nil)

// taskCacheTTL keeps a resolved task address briefly: tasks change on
// upgrade, and a dial error forgets the address at once.
const taskCacheTTL = 2 * time.Second

// NewDirect starts a direct-mode proxy for app; resolver finds the task
// behind each request. ctx bounds starting the listener only: Close stops
// the proxy. It fails for a recipe that declares no traefik router (HTTP,
// TCP or UDP) and publishes no port.
//
// The proxy routes the domains of the apps in also too (a run's
// dependencies, such as the identity provider a browser is sent to and
// back from when it logs in): each by its own traefik labels, to its own
// tasks; a host both name is the app's. Their TCP and UDP ways in are
// not served.
//
// It returns the interface, not its type, so that `ing, err = NewDirect(...)`
// into an Ingress variable leaves it nil on error.
func NewDirect(ctx context.Context, app *recipe.App, resolver Resolver, log *slog.Logger, also ...*recipe.App) (Ingress, error) {
	if app == nil || resolver == nil {
		return nil, errors.New("direct ingress: an app and a resolver are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &direct{
		tasks:  newTaskCache(resolver, taskCacheTTL),
		dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
	}
	taskDial := func(s *Stream) (func(context.Context) (net.Conn, error), error) { return s.taskDialer(d.tasks), nil }
	streams, streamNotes, err := newStreams(ctx, app, taskDial, log.With("ingress", "direct", "domain", app.Domain))
	if err != nil {
		return nil, fmt.Errorf("direct ingress for %s: %w", app.Domain, err)
	}
	table, err := newRouteTable(app)
	// An app reached over TCP or UDP only (a voice server) is served by
	// its streams; HTTP requests then find no router.
	if err != nil && !(errors.Is(err, errNoRouters) && len(streams) > 0) {
		closeStreams(streams)
		return nil, fmt.Errorf("direct ingress for %s: %w", app.Domain, err)
	}
	table.notes = append(table.notes, streamNotes...)
	d.domain, d.table, d.streams = table.domain, table, streams
	for _, dep := range also {
		t, err := newRouteTable(dep)
		if err != nil {
			closeStreams(streams)
			return nil, fmt.Errorf("direct ingress for %s (of %s): %w", dep.Domain, app.Domain, err)
		}
		for i, n := range t.notes {
			t.notes[i] = dep.Domain + ": " + n
		}
		table.notes = append(table.notes, t.notes...)
		d.also = append(d.also, t)
	}
	d.upstream = &http.Transport{
		Proxy:               nil, // never HTTP_PROXY: we talk to a local task
		DialContext:         d.dialTask,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}
	// A traefik service with loadbalancer.server.scheme=https answers
	// TLS on the task itself; its certificate names nothing we could check.
	d.upstream.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a local task, see above
	p, err := listenProxy(ctx, log.With("ingress", "direct", "domain", d.domain))
	if err != nil {
		closeStreams(streams)
		return nil, err
	}
	for _, n := range table.notes {
		p.log.Warn("traefik labels: " + n)
	}
	d.proxy = p
	d.client = p.newClient(&http.Transport{})
	p.start(http.HandlerFunc(d.handle))
	return d, nil
}

// BaseURL returns http://<domain>.
func (d *direct) BaseURL() string { return "http://" + d.domain }

// HTTPClient returns a client that goes through the proxy.
func (d *direct) HTTPClient() *http.Client { return d.client }

// BrowserFlags sends Chromium through the proxy.
func (d *direct) BrowserFlags() []string { return d.browserFlags() }

// Close stops the proxy and its connections to tasks.
func (d *direct) Close() error {
	err := d.proxy.close()
	closeStreams(d.streams)
	d.upstream.CloseIdleConnections()
	d.client.CloseIdleConnections()
	return err
}

func (d *direct) handle(w http.ResponseWriter, r *http.Request) {
	host, port := splitHost(r.Host)
	table := d.tableOf(host)
	if table == nil {
		fail(w, d.log, http.StatusForbidden, "%s is not a domain of this run (%s): refused", r.Host, d.domain)
		return
	}
	if port != "" && port != "80" {
		fail(w, d.log, http.StatusForbidden, "%s: direct mode serves port 80 only (http://%s); HTTPS needs the traefik ingress", r.Host, host)
		return
	}
	if r.Method == http.MethodConnect {
		d.tunnel(w)
		return
	}
	rt, ok := table.route(r)
	if !ok {
		fail(w, d.log, http.StatusNotFound, "no traefik router of this recipe serves %s %s%s", r.Method, host, r.URL.RequestURI())
		return
	}
	d.log.Debug("routing", "method", r.Method, "host", host, "path", r.URL.Path, "router", rt.router, "middlewares", rt.mwNames, "service", rt.service)
	sent := forwardedHeaders(r.Header)
	rt.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.forward(w, r, *rt, sent)
	})).ServeHTTP(w, r)
}

// tableOf returns the route table of the app, or dependency, host is a
// domain of; nil for any other host.
func (d *direct) tableOf(host string) *routeTable {
	if d.table.knows(host) {
		return d.table
	}
	for _, t := range d.also {
		if t.knows(host) {
			return t
		}
	}
	return nil
}

// Notes says what the ingress cannot do as Traefik would for this recipe:
// routers it does not serve, middlewares it does not apply.
func (d *direct) Notes() []string { return append([]string(nil), d.table.notes...) }

// Streams are the app's TCP and UDP ways in that the ingress serves.
func (d *direct) Streams() []*Stream { return append([]*Stream(nil), d.streams...) }

// ServesHTTP reports whether any HTTP router of the app is served.
func (d *direct) ServesHTTP() bool { return len(d.table.routes) > 0 }

// Streams returns the TCP and UDP ways into the app an ingress serves;
// nil for one that serves none.
func Streams(ing Ingress) []*Stream {
	if s, ok := ing.(interface{ Streams() []*Stream }); ok {
		return s.Streams()
	}
	return nil
}

// ServesHTTP reports whether an ingress routes HTTP to the app: false for
// a direct ingress of an app reached over TCP or UDP only.
func ServesHTTP(ing Ingress) bool {
	if s, ok := ing.(interface{ ServesHTTP() bool }); ok {
		return s.ServesHTTP()
	}
	return true
}

// Notes returns what an ingress says it cannot do as Traefik would for
// the app (the direct ingress's notes); nil for one that says nothing.
func Notes(ing Ingress) []string {
	if n, ok := ing.(interface{ Notes() []string }); ok {
		return n.Notes()
	}
	return nil
}

// forward reverse-proxies r to a task of the route's service, keeping the
// Host header so the app sees its real domain.
func (d *direct) forward(w http.ResponseWriter, r *http.Request, rt route, sent http.Header) {
	port := rt.port
	if port == 0 {
		// No loadbalancer.server.port label: Traefik would use the port
		// the image exposes, which the recipe does not tell us; 80 is the
		// usual one, and a dial error below names it.
		port = 80
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = rt.scheme
			// dialTask resolves this service name to a task address.
			pr.Out.URL.Host = net.JoinHostPort(rt.service, strconv.Itoa(port))
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			// A headers middleware may set or remove them (a recipe asking
			// for X-Forwarded-Proto: https): as in Traefik, its word is last.
			for _, k := range xForwarded {
				if v := pr.In.Header.Values(k); !slices.Equal(v, sent.Values(k)) {
					pr.Out.Header.Del(k)
					for _, x := range v {
						pr.Out.Header.Add(k, x)
					}
				}
			}
		},
		Transport: d.upstream,
		ErrorLog:  d.srv.ErrorLog,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			fail(w, d.log, http.StatusBadGateway, "router %s -> %s:%d: %v", rt.router, rt.service, port, err)
		},
	}
	rp.ServeHTTP(w, r)
}

// xForwarded are the headers the proxy sets for the app, as Traefik does,
// whatever the client sent.
var xForwarded = []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}

func forwardedHeaders(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range xForwarded {
		for _, v := range h.Values(k) {
			out.Add(k, v)
		}
	}
	return out
}

// tunnel serves CONNECT <domain>:80: the HTTP inside the tunnel is served
// by the proxy itself, so each request in it is routed like any other.
func (d *direct) tunnel(w http.ResponseWriter) {
	conn, err := acceptConnect(w)
	if err != nil {
		d.log.Debug("CONNECT failed", "err", err)
		return
	}
	if err := d.inner.push(conn); err != nil {
		conn.Close()
	}
}

// dialTask dials addr ("<service full name>:<port>") at a task of the
// service. An address from the cache that fails to answer is forgotten
// and the service resolved once more: its task may have been replaced.
func (d *direct) dialTask(ctx context.Context, network, addr string) (net.Conn, error) {
	svc, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", addr, err)
	}
	for {
		ip, cached, err := d.tasks.lookup(ctx, svc)
		if err != nil {
			return nil, err
		}
		target := net.JoinHostPort(ip.String(), port)
		conn, err := d.dialer.DialContext(ctx, network, target)
		if err == nil {
			return conn, nil
		}
		d.tasks.forget(svc, ip)
		if !cached || ctx.Err() != nil {
			return nil, fmt.Errorf("dialing its task: %w", err) // err names the address
		}
	}
}
