package recipe

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// HTTPRoute is a router of the app with where its traffic goes.
type HTTPRoute struct {
	Router Router
	// Carrier is the compose service whose labels declare the router.
	Carrier string
	// Target is the compose service whose tasks receive the traffic: the
	// carrier, or the service declaring the traefik service the router
	// names. Empty when it goes to a service outside the recipe
	// (External).
	Target string
	// External is a service reference of another Traefik provider
	// (api@internal, name@file): nothing of the recipe serves it.
	External string
	// Port is the target's container port; 0 when unknown.
	Port   int
	Scheme string // loadbalancer.server.scheme; "" means http
	// HealthPath is the target's loadbalancer.healthcheck.path, the path
	// Traefik itself checks the app's health at.
	HealthPath string
}

// Traefik is the app's traefik HTTP configuration as Traefik's swarm
// provider sees it across all its services: routes, middlewares (visible
// to every router of the provider) and the label issues found.
type Traefik struct {
	Routes      []HTTPRoute
	Middlewares map[string]Middleware
	Issues      []LabelIssue
}

// Traefik reads the traefik labels of every service. Routers come from
// Service.Routers, so an app built by hand (tests) is routed the same way.
func (a *App) Traefik() *Traefik {
	t := &Traefik{Middlewares: map[string]Middleware{}}
	parsed := map[string]serviceTraefik{}
	owner := map[string]string{} // traefik service -> compose service declaring it
	for _, s := range a.Services {
		p := parseTraefikLabels(s.Name, s.Labels)
		parsed[s.Name] = p
		t.Issues = append(t.Issues, p.issues...)
		for _, name := range sortedKeys(p.services) {
			if o, dup := owner[name]; dup {
				t.Issues = append(t.Issues, LabelIssue{Service: s.Name, Label: "traefik.http.services." + name,
					Msg: fmt.Sprintf("also declared by service %s: Traefik merges the two into one load balancer over both services' tasks", o)})
				continue
			}
			owner[name] = s.Name
		}
		for _, name := range sortedKeys(p.middlewares) {
			if o, dup := t.Middlewares[name]; dup {
				t.Issues = append(t.Issues, LabelIssue{Service: s.Name, Label: "traefik.http.middlewares." + name,
					Msg: fmt.Sprintf("also declared by service %s: Traefik keeps neither and reports the conflict", o.Service)})
				continue
			}
			t.Middlewares[name] = p.middlewares[name]
		}
	}
	used := map[string]bool{}
	for _, s := range a.Services {
		for _, r := range s.Routers {
			rt := a.route(s, r, parsed, owner, t)
			if rt.Target != "" {
				used[rt.Target+"\x00"+routerServiceName(r, parsed[s.Name])] = true
			}
			t.Routes = append(t.Routes, rt)
		}
	}
	for _, s := range a.Services {
		p := parsed[s.Name]
		for _, name := range sortedKeys(p.services) {
			if !used[s.Name+"\x00"+name] {
				t.Issues = append(t.Issues, LabelIssue{Service: s.Name, Label: "traefik.http.services." + name,
					Msg: "no router uses this traefik service: Traefik keeps it unused"})
			}
		}
	}
	t.checkMiddlewareRefs(a)
	_, streamIssues := a.streams() // TCP and UDP routers: see App.Streams
	t.Issues = append(t.Issues, streamIssues...)
	sort.SliceStable(t.Issues, func(i, j int) bool {
		if t.Issues[i].Service != t.Issues[j].Service {
			return t.Issues[i].Service < t.Issues[j].Service
		}
		return t.Issues[i].Label < t.Issues[j].Label
	})
	return t
}

// routerServiceName is the traefik service a router sends to, as named on
// its carrier: its service label, else the carrier's only one.
func routerServiceName(r Router, p serviceTraefik) string {
	if r.Service != "" {
		name, _ := SplitProvider(r.Service)
		return name
	}
	for name := range p.services {
		return name
	}
	return ""
}

func (a *App) route(s Service, r Router, parsed map[string]serviceTraefik, owner map[string]string, t *Traefik) HTTPRoute {
	rt := HTTPRoute{Router: r, Carrier: s.Name, Target: s.Name, Port: r.Port}
	name, _ := SplitProvider(r.Service)
	switch {
	case r.External():
		rt.Target, rt.External, rt.Port = "", r.Service, 0
		return rt
	case r.Service != "":
		o, ok := owner[name]
		if !ok {
			t.Issues = append(t.Issues, LabelIssue{Service: s.Name, Label: "traefik.http.routers." + r.Name + ".service=" + r.Service,
				Msg: "no service of this recipe declares it: Traefik serves the router only if another stack does"})
			break
		}
		ts := parsed[o].services[name]
		rt.Target, rt.Port, rt.Scheme, rt.HealthPath = o, ts.Port, ts.Scheme, ts.HealthPath
	default:
		for _, ts := range parsed[s.Name].services {
			rt.Scheme, rt.HealthPath = ts.Scheme, ts.HealthPath
		}
	}
	if rt.Port == 0 && rt.Target != "" {
		if p, ok := a.exposedPort(rt.Target); ok {
			rt.Port = p
			t.Issues = append(t.Issues, LabelIssue{Service: s.Name, Label: "traefik.http.routers." + r.Name,
				Msg: fmt.Sprintf("no usable loadbalancer.server.port: service %s exposes the single port %d, which is used", rt.Target, p)})
		}
	}
	return rt
}

// exposedPort is the only container port a compose service exposes or
// publishes, as Traefik falls back to when no port label says one.
func (a *App) exposedPort(service string) (int, bool) {
	if a.Compose == nil {
		return 0, false
	}
	ports := map[int]bool{}
	for _, sc := range a.Compose.Services {
		if sc.Name != service {
			continue
		}
		for _, e := range sc.Expose {
			p, err := strconv.Atoi(strings.SplitN(e, "/", 2)[0])
			if err == nil {
				ports[p] = true
			}
		}
		for _, p := range sc.Ports {
			if p.Target > 0 {
				ports[int(p.Target)] = true
			}
		}
	}
	if len(ports) != 1 {
		return 0, false
	}
	for p := range ports {
		return p, true
	}
	return 0, false
}

// checkMiddlewareRefs notes every middleware reference the recipe cannot
// show: the file provider's, or a name no service of the app declares.
func (t *Traefik) checkMiddlewareRefs(a *App) {
	for _, rt := range t.Routes {
		for _, ref := range rt.Router.Middlewares {
			t.checkRef(rt.Carrier, "traefik.http.routers."+rt.Router.Name+".middlewares", ref)
		}
	}
	for _, name := range sortedKeys(t.Middlewares) {
		m := t.Middlewares[name]
		if m.Type != "chain" {
			continue
		}
		for _, ref := range splitList(m.Options["middlewares"]) {
			t.checkRef(m.Service, "traefik.http.middlewares."+name+".chain.middlewares", ref)
		}
	}
}

func (t *Traefik) checkRef(svc, label, ref string) {
	name, provider := SplitProvider(ref)
	switch {
	case provider != "" && provider != "docker" && provider != "swarm":
		t.Issues = append(t.Issues, LabelIssue{Service: svc, Label: label + "=" + ref,
			Msg: fmt.Sprintf("middleware %s is defined by Traefik's %s provider, which the recipe cannot show: the direct ingress does not apply it", name, provider)})
	case t.Middlewares[name].Type == "":
		t.Issues = append(t.Issues, LabelIssue{Service: svc, Label: label + "=" + ref,
			Msg: fmt.Sprintf("no service of this recipe declares middleware %s: Traefik fails the router unless another stack does; the direct ingress does not apply it", name)})
	}
}
