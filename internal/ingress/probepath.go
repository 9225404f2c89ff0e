package ingress

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// DefaultProbePath is the path that shows an app is up, asked for on its
// domain: "/" when the primary router serves it to the app as "/";
// otherwise the path that reaches the app through the router and its
// middlewares: the service's own healthcheck path (or Traefik's health
// check path of its service) mapped back through them (a router PathPrefix(`/x`) with stripprefix /x and a healthcheck of
// /health is probed at /x/health), else the router's path itself.
func DefaultProbePath(app *recipe.App) string {
	svc, r, ok := app.PrimaryRouter()
	if !ok {
		return "/"
	}
	t, err := newRouteTable(app)
	if err != nil {
		return r.ProbePath()
	}
	rt := t.find(svc.Name, r.Name)
	if rt == nil {
		return r.ProbePath()
	}
	if got, ok := t.reaches(rt, "/"); ok && got == "/" {
		return "/"
	}
	for _, health := range rt.healthPaths(app) {
		for _, q := range rt.mapBack(health) {
			if got, ok := t.reaches(rt, q); ok && got == health {
				return q
			}
		}
	}
	for _, q := range []string{r.ProbePath(), "/"} {
		if _, ok := t.reaches(rt, q); ok {
			return q
		}
	}
	return r.ProbePath()
}

// healthPaths are the paths the app itself says it is up at: its compose
// healthcheck's URL on the router's port, then the path Traefik's own
// health check of the service asks (loadbalancer.healthcheck.path).
func (rt *route) healthPaths(app *recipe.App) []string {
	var out []string
	if target, ok := app.Service(rt.target); ok {
		if u, ok := target.Healthcheck.LocalURL(); ok && (u.Port() == "" || rt.port == 0 || u.Port() == strconv.Itoa(rt.port)) {
			out = append(out, u.Path)
		}
	}
	if strings.HasPrefix(rt.healthPath, "/") {
		out = append(out, rt.healthPath)
	}
	return out
}

func (t *routeTable) find(carrier, router string) *route {
	for i := range t.routes {
		if t.routes[i].carrier == carrier && t.routes[i].router == router {
			return &t.routes[i]
		}
	}
	return nil
}

// reaches asks for path on the app's domain without any network: when the
// table routes it to rt and its middlewares pass it on to the app, it
// returns the path the app would be asked for.
func (t *routeTable) reaches(rt *route, path string) (string, bool) {
	req, err := http.NewRequest(http.MethodGet, "http://"+t.domain+path, nil)
	if err != nil {
		return "", false
	}
	req.RemoteAddr = "127.0.0.1:1"
	if got, ok := t.route(req); !ok || got != rt {
		return "", false
	}
	var backend string
	reached := false
	rt.handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		reached, backend = true, r.URL.Path
	})).ServeHTTP(httptest.NewRecorder(), req)
	if backend == "" {
		backend = "/"
	}
	return backend, reached
}

// mapBack lists the request paths that could reach the app as p: p
// itself, under each prefix the rule or a stripprefix names, and without
// the prefix an addprefix adds. reaches then says which one does.
func (rt *route) mapBack(p string) []string {
	out := []string{p}
	trimmed := []string{p}
	for _, a := range rt.hints.add {
		if rest, ok := strings.CutPrefix(p, strings.TrimSuffix(a, "/")); ok {
			trimmed = append(trimmed, ensureLeadingSlash(rest))
		}
	}
	for _, q := range trimmed {
		out = append(out, q)
		for _, pre := range rt.hints.strip {
			out = append(out, strings.TrimSuffix(pre, "/")+q)
		}
	}
	return out
}

// pathHints are the prefixes a router's rule and middlewares put on or
// take off the path.
type pathHints struct {
	strip []string // PathPrefix and Path arguments, stripprefix prefixes
	add   []string // addprefix prefixes
}

func collectHints(r recipe.Router, defs map[string]recipe.Middleware) pathHints {
	var h pathHints
	for _, p := range append(append([]string(nil), r.PathPrefix...), r.Paths...) {
		if !recipe.IsV2Template(p) {
			h.strip = append(h.strip, p)
		}
	}
	var walk func(refs []string, depth int)
	walk = func(refs []string, depth int) {
		for _, ref := range refs {
			name, _ := recipe.SplitProvider(ref)
			d, ok := defs[name]
			switch {
			case !ok:
			case d.Type == "stripprefix":
				h.strip = append(h.strip, splitList(d.Options["prefixes"])...)
			case d.Type == "addprefix":
				h.add = append(h.add, d.Options["prefix"])
			case d.Type == "chain" && depth < maxChainDepth:
				walk(splitList(d.Options["middlewares"]), depth+1)
			}
		}
	}
	walk(r.Middlewares, 0)
	return h
}
