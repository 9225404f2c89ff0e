package ingress

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// route is one traefik router of the app, ready to match requests: its
// rule compiled as Traefik evaluates it (&&, ||, !, parentheses; v2 and v3
// matchers) and its middlewares built in order.
type route struct {
	router      string // traefik router name
	carrier     string // compose service whose labels declare it
	target      string // compose service receiving its traffic
	service     string // full name of the swarm service receiving its traffic
	port        int    // container port its traefik service forwards to
	scheme      string // http or https, to the task
	priority    int    // traefik's: the priority label, else the rule's length
	match       ruleMatcher
	hosts       []func(string) bool // the hosts the rule names, outside negations
	paths       bool                // the rule has a path matcher
	entry       string              // the scheme requests reach the router with
	middlewares []middleware
	mwNames     []string
	hints       pathHints // for mapping a path of the app back to a request path
	healthPath  string    // loadbalancer.healthcheck.path of its traefik service
}

// routeTable is every router of an app, in the order Traefik tries them.
type routeTable struct {
	domain string
	routes []route
	// notes say what the table could not do as Traefik would: routers it
	// cannot serve, middlewares it does not apply.
	notes []string
}

// errNoRouters is returned for a recipe that no HTTP request could be
// routed to, with the (empty) table and its notes.
var errNoRouters = errors.New("no service carries a traefik router this ingress can serve")

func newRouteTable(app *recipe.App) (*routeTable, error) {
	t := &routeTable{domain: strings.ToLower(app.Domain)}
	tr := app.Traefik()
	b := &mwBuilder{defs: tr.Middlewares}
	for _, hr := range tr.Routes {
		rt, err := newRoute(app, hr, b)
		if err != nil {
			t.notes = append(t.notes, fmt.Sprintf("router %s of service %s (rule %s) is not served: %v", hr.Router.Name, hr.Carrier, hr.Router.Rule, err))
			continue
		}
		t.routes = append(t.routes, rt)
	}
	t.notes = append(t.notes, b.notes...)
	if len(t.routes) == 0 {
		err := fmt.Errorf("recipe %s: %w", app.Recipe, errNoRouters)
		if len(t.notes) > 0 {
			err = fmt.Errorf("%w (%s)", err, strings.Join(t.notes, "; "))
		}
		return t, err
	}
	// Traefik tries the highest priority first; the name keeps ties stable.
	sort.SliceStable(t.routes, func(i, j int) bool {
		a, b := t.routes[i], t.routes[j]
		if a.priority != b.priority {
			return a.priority > b.priority
		}
		return a.router < b.router
	})
	return t, nil
}

func newRoute(app *recipe.App, hr recipe.HTTPRoute, b *mwBuilder) (route, error) {
	r := hr.Router
	if hr.External != "" {
		return route{}, fmt.Errorf("it sends to %s, a service of Traefik itself or of its file provider", hr.External)
	}
	rt := route{router: r.Name, carrier: hr.Carrier, target: hr.Target, service: app.Stack + "_" + hr.Target,
		port: hr.Port, scheme: hr.Scheme, priority: r.Priority, entry: r.EntryScheme(), mwNames: r.Middlewares,
		healthPath: hr.HealthPath}
	if s, ok := app.Service(hr.Target); ok && s.FullName != "" {
		rt.service = s.FullName
	}
	if rt.scheme == "" {
		rt.scheme = "http"
	}
	if rt.priority == 0 {
		rt.priority = len(r.Rule)
	}
	expr, _, err := recipe.ParseRule(r.Rule, r.RuleSyntax)
	if err != nil {
		return rt, err
	}
	if rt.match, err = compileRule(expr, r.RuleSyntax); err != nil {
		return rt, err
	}
	rt.hosts = hostLeaves(expr, r.RuleSyntax)
	rt.paths = restrictsPath(expr)
	rt.middlewares = b.build(r.Name, r.Middlewares, rt.entry)
	rt.hints = collectHints(r, b.defs)
	return rt, nil
}

// matchHost reports whether the rule names host. A router naming no host
// answers for the app's domain only: the proxy serves the run's domains,
// nothing else.
func (r route) matchHost(host, domain string) bool {
	if len(r.hosts) == 0 {
		return host == domain
	}
	for _, m := range r.hosts {
		if m(host) {
			return true
		}
	}
	return false
}

// knows reports whether host is one of the run's domains: the app's domain
// or a host some router names.
func (t *routeTable) knows(host string) bool {
	if host == t.domain {
		return true
	}
	for _, r := range t.routes {
		if len(r.hosts) > 0 && r.matchHost(host, t.domain) {
			return true
		}
	}
	return false
}

// route returns the router that serves the request, as Traefik picks it:
// the first, by priority, whose rule matches.
func (t *routeTable) route(req *http.Request) (*route, bool) {
	f := factsOf(req)
	for i := range t.routes {
		if t.routes[i].match(&f) {
			return &t.routes[i], true
		}
	}
	return nil, false
}

// match returns the router serving a GET of host and path.
func (t *routeTable) match(host, path string) (route, bool) {
	req, err := http.NewRequest(http.MethodGet, "http://"+host+path, nil)
	if err != nil {
		return route{}, false
	}
	rt, ok := t.route(req)
	if !ok {
		return route{}, false
	}
	return *rt, true
}

// handler is the router's middlewares in front of next.
func (r *route) handler(next http.Handler) http.Handler {
	h := next
	for i := len(r.middlewares) - 1; i >= 0; i-- {
		h = r.middlewares[i](h)
	}
	return h
}
