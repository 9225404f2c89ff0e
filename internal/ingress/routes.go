package ingress

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// route is one traefik router of the app, ready to match requests. As in
// recipe.Router, the rule's boolean structure is not evaluated: a router
// matches when one of its host matchers and (if it has any) one of its
// path matchers match.
type route struct {
	router   string // traefik router name
	service  string // full name of the swarm service carrying the router
	port     int    // container port its traefik service forwards to
	priority int    // traefik's: the explicit label, else the rule's length
	hosts    []string
	hostRes  []*regexp.Regexp
	paths    []string // Path: the whole path
	prefixes []string // PathPrefix: a plain string prefix, as in traefik
	pathRes  []*regexp.Regexp
}

// routeTable is every router of an app, the one to prefer first.
type routeTable struct {
	domain string
	routes []route
}

// errNoRouters is returned for a recipe that nothing could be routed to.
var errNoRouters = errors.New("no service carries a traefik router with a rule")

func newRouteTable(app *recipe.App) (*routeTable, error) {
	t := &routeTable{domain: strings.ToLower(app.Domain)}
	for _, s := range app.Services {
		for _, r := range s.Routers {
			rt, err := newRoute(s, r)
			if err != nil {
				return nil, fmt.Errorf("router %s of service %s (rule %s): %w", r.Name, s.Name, r.Rule, err)
			}
			t.routes = append(t.routes, rt)
		}
	}
	if len(t.routes) == 0 {
		return nil, fmt.Errorf("recipe %s: %w", app.Recipe, errNoRouters)
	}
	// Path matchers first (our rule reading ignores || and !, so a long
	// host-only rule must not shadow a narrower one), then traefik's own
	// priority, then the name for a stable order.
	sort.SliceStable(t.routes, func(i, j int) bool {
		a, b := t.routes[i], t.routes[j]
		if a.hasPath() != b.hasPath() {
			return a.hasPath()
		}
		if a.priority != b.priority {
			return a.priority > b.priority
		}
		return a.router < b.router
	})
	return t, nil
}

func newRoute(s recipe.Service, r recipe.Router) (route, error) {
	rt := route{router: r.Name, service: s.FullName, port: r.Port, priority: len(r.Rule)}
	if v, ok := s.Labels["traefik.http.routers."+r.Name+".priority"]; ok {
		p, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return rt, fmt.Errorf("priority %q is not a number", v)
		}
		rt.priority = p
	}
	for _, h := range r.Hosts {
		if !v2Template.MatchString(h) {
			rt.hosts = append(rt.hosts, strings.ToLower(h))
			continue
		}
		re, err := templateRegexp(h, hostPart, false)
		if err != nil {
			return rt, err
		}
		rt.hostRes = append(rt.hostRes, re)
	}
	for _, h := range r.HostRegexps {
		re, err := hostRegexp(h)
		if err != nil {
			return rt, err
		}
		rt.hostRes = append(rt.hostRes, re)
	}
	add := func(list *[]string, p string, prefix bool) error {
		if !v2Template.MatchString(p) {
			*list = append(*list, p)
			return nil
		}
		re, err := templateRegexp(p, pathPart, prefix)
		if err != nil {
			return err
		}
		rt.pathRes = append(rt.pathRes, re)
		return nil
	}
	for _, p := range r.Paths {
		if err := add(&rt.paths, p, false); err != nil {
			return rt, err
		}
	}
	for _, p := range r.PathPrefix {
		if err := add(&rt.prefixes, p, true); err != nil {
			return rt, err
		}
	}
	// recipe.Router leaves PathRegexp out; traefik v3 matches it unanchored.
	for _, m := range pathRegexpRe.FindAllStringSubmatch(r.Rule, -1) {
		re, err := regexp.Compile(m[1] + m[2])
		if err != nil {
			return rt, fmt.Errorf("PathRegexp: %w", err)
		}
		rt.pathRes = append(rt.pathRes, re)
	}
	return rt, nil
}

func (r route) hasPath() bool {
	return len(r.paths)+len(r.prefixes)+len(r.pathRes) > 0
}

// matchHost reports whether the router answers for host (lowercase, no
// port). A router without host matchers answers for the app's domain only:
// the proxy serves the run's domains, nothing else.
func (r route) matchHost(host, domain string) bool {
	if len(r.hosts)+len(r.hostRes) == 0 {
		return host == domain
	}
	for _, h := range r.hosts {
		if h == host {
			return true
		}
	}
	for _, re := range r.hostRes {
		if re.MatchString(host) {
			return true
		}
	}
	return false
}

func (r route) matchPath(path string) bool {
	if !r.hasPath() {
		return true
	}
	for _, p := range r.paths {
		if path == p {
			return true
		}
	}
	for _, p := range r.prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	for _, re := range r.pathRes {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// knows reports whether host is one of the run's domains: the app's domain
// or a host some router answers for.
func (t *routeTable) knows(host string) bool {
	if host == t.domain {
		return true
	}
	for _, r := range t.routes {
		if r.matchHost(host, t.domain) {
			return true
		}
	}
	return false
}

// match returns the router that serves host and path.
func (t *routeTable) match(host, path string) (route, bool) {
	for _, r := range t.routes {
		if r.matchHost(host, t.domain) && r.matchPath(path) {
			return r, true
		}
	}
	return route{}, false
}
