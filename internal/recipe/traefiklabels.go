package recipe

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// LabelIssue is a traefik label that Traefik ignores, logs or resolves in
// context: a lint warning, never a reason to refuse the recipe, since abra
// deploys it and Traefik serves what it can.
type LabelIssue struct {
	Service string `json:"service"` // the compose service carrying the label
	Label   string `json:"label"`   // the label, with its value when it matters
	Msg     string `json:"msg"`
}

func (i LabelIssue) String() string {
	return fmt.Sprintf("service %s: %s: %s", i.Service, i.Label, i.Msg)
}

// TraefikService is a traefik.http.services.<name> of one compose service.
type TraefikService struct {
	Name string `json:"name"`
	// Port is the loadbalancer.server.port as a number; 0 when unset or
	// not a usable port (PortLabel then says what was written).
	Port      int    `json:"port,omitempty"`
	PortLabel string `json:"port_label,omitempty"`
	Scheme    string `json:"scheme,omitempty"` // loadbalancer.server.scheme
	// HealthPath is the path of Traefik's own health check of the
	// service's servers (loadbalancer.healthcheck.path).
	HealthPath string `json:"health_path,omitempty"`
}

// Middleware is a traefik.http.middlewares.<name>.<type>.* definition.
// Options holds the labels below the type, keys lower-cased as Traefik
// matches them (headers.customrequestheaders.x-foo) and values as written.
type Middleware struct {
	Name    string            `json:"name"`
	Type    string            `json:"type"` // lower case: stripprefix, headers, ...
	Options map[string]string `json:"options,omitempty"`
	Service string            `json:"service"` // the compose service carrying it
}

// serviceTraefik is what one compose service's labels declare.
type serviceTraefik struct {
	routers     []Router
	services    map[string]TraefikService
	middlewares map[string]Middleware
	issues      []LabelIssue
}

// middlewareTypes are the HTTP middlewares Traefik v3 knows, lower case.
var middlewareTypes = map[string]bool{
	"addprefix": true, "basicauth": true, "buffering": true, "chain": true, "circuitbreaker": true,
	"compress": true, "contenttype": true, "digestauth": true, "errors": true, "forwardauth": true,
	"grpcweb": true, "headers": true, "ipallowlist": true, "ipwhitelist": true, "inflightreq": true,
	"passtlsclientcert": true, "plugin": true, "ratelimit": true, "redirectregex": true,
	"redirectscheme": true, "replacepath": true, "replacepathregex": true, "retry": true,
	"stripprefix": true, "stripprefixregex": true,
}

// headersV2Only are headers options Traefik v3 removed: v3 refuses labels
// that set them, v2 applied them.
var headersV2Only = map[string]bool{
	"sslredirect": true, "ssltemporaryredirect": true, "sslhost": true, "sslforcehost": true,
	"sslproxyheaders": true, "featurepolicy": true,
}

// skipsAll is what Traefik does with a label it cannot decode into its
// configuration: it logs the error and skips the service altogether. The
// direct ingress still serves what it understands; lint says Traefik won't.
const skipsAll = "Traefik cannot decode it and skips every traefik label of this service"

// routerAttrs are the router labels Traefik knows (tls.* and
// observability.* are matched by their first part).
var routerAttrs = map[string]bool{
	"rule": true, "rulesyntax": true, "entrypoints": true, "middlewares": true, "service": true,
	"priority": true, "tls": true, "observability": true,
}

// parseTraefikLabels reads one compose service's traefik.* labels the way
// Traefik's swarm provider does, tolerating what Traefik tolerates: every
// problem becomes a LabelIssue, and only routers Traefik would serve are
// returned. Routers are resolved to a port on this service's own traefik
// services; App.Traefik resolves the rest across services.
func parseTraefikLabels(svc string, labels map[string]string) serviceTraefik {
	out := serviceTraefik{services: map[string]TraefikService{}, middlewares: map[string]Middleware{}}
	issue := func(label, format string, args ...any) {
		out.issues = append(out.issues, LabelIssue{Service: svc, Label: label, Msg: fmt.Sprintf(format, args...)})
	}
	if v, ok := labels["traefik.enable"]; ok && !isTrue(v) {
		if _, err := strconv.ParseBool(strings.TrimSpace(v)); err != nil {
			issue("traefik.enable="+v, "not a boolean: %s", skipsAll)
		}
		return out
	}
	routers := map[string]*Router{}
	for _, k := range sortedKeys(labels) {
		v := labels[k]
		rest, ok := strings.CutPrefix(k, "traefik.")
		if !ok {
			continue
		}
		parts := strings.SplitN(rest, ".", 4)
		switch strings.ToLower(parts[0]) {
		case "enable", "docker", "swarm", "tags":
			continue
		case "tcp", "udp":
			continue // TCP and UDP routers are not HTTP routes
		case "http":
		default:
			issue(k, "not a Traefik v2/v3 label (Traefik v1's labels, such as traefik.frontend.rule, are ignored by v2 and later)")
			continue
		}
		if len(parts) < 4 {
			issue(k, "incomplete label: %s", skipsAll)
			continue
		}
		kind, name, attr := strings.ToLower(parts[1]), parts[2], strings.ToLower(parts[3])
		switch kind {
		case "routers":
			r := routers[name]
			if r == nil {
				r = &Router{Name: name}
				routers[name] = r
			}
			routerLabel(r, k, attr, v, issue)
		case "services":
			s := out.services[name]
			s.Name = name
			switch attr {
			case "loadbalancer.server.port":
				s.PortLabel = v
				p, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || p < 1 || p > 65535 {
					issue(k+"="+v, "not a port number: Traefik builds an unusable server address from it (any router using this service answers 500)")
					p = 0
				}
				s.Port = p
			case "loadbalancer.server.scheme":
				s.Scheme = strings.ToLower(strings.TrimSpace(v))
			case "loadbalancer.healthcheck.path":
				s.HealthPath = strings.TrimSpace(v)
			}
			out.services[name] = s
		case "middlewares":
			typ, opt, _ := strings.Cut(attr, ".")
			if !middlewareTypes[typ] {
				issue(k, "unknown middleware type %q: %s", typ, skipsAll)
				continue
			}
			m, seen := out.middlewares[name]
			if seen && m.Type != typ {
				issue(k, "middleware %s already has type %s: Traefik refuses a middleware of two types", name, m.Type)
				continue
			}
			if !seen {
				m = Middleware{Name: name, Type: typ, Service: svc, Options: map[string]string{}}
			}
			if opt != "" {
				m.Options[opt] = v
			}
			if typ == "headers" && headersV2Only[opt] {
				issue(k, "headers.%s was removed in Traefik v3: %s (v2 applied it)", parts[3][len("headers."):], skipsAll)
			}
			out.middlewares[name] = m
		default:
			issue(k, "unknown kind %q under traefik.http (want routers, services or middlewares): %s", parts[1], skipsAll)
		}
	}
	for _, name := range sortedKeys(routers) {
		r := routers[name]
		if r.Rule == "" {
			continue // Traefik would give it its default rule, a host of its own, not the app's domain
		}
		expr, compat, err := ParseRule(r.Rule, r.RuleSyntax)
		label := "traefik.http.routers." + name + ".rule"
		if err != nil {
			issue(label+"="+r.Rule, "Traefik cannot parse this rule (%v): the router is not served", err)
			continue
		}
		for _, c := range compat {
			issue(label, "%s", c)
		}
		fillMatchers(r, expr)
		if !out.resolvePort(r, issue) {
			continue
		}
		out.routers = append(out.routers, *r)
	}
	return out
}

// routerLabel applies one traefik.http.routers.<name>.<attr> label.
func routerLabel(r *Router, key, attr, v string, issue func(string, string, ...any)) {
	first, _, _ := strings.Cut(attr, ".")
	if !routerAttrs[first] {
		issue(key, "unknown router option %q: %s", attr, skipsAll)
		return
	}
	switch attr {
	case "rule":
		r.Rule = v
	case "rulesyntax":
		s := strings.ToLower(strings.TrimSpace(v))
		if s != RuleV2 && s != RuleV3 {
			issue(key+"="+v, "not a rule syntax (v2 or v3): Traefik reads the rule as v3")
			s = RuleV3
		}
		r.RuleSyntax = s
	case "entrypoints":
		r.Entrypoints = splitList(v)
	case "service":
		r.Service = strings.TrimSpace(v)
	case "middlewares":
		r.Middlewares = splitList(v)
	case "priority":
		p, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			issue(key+"="+v, "not a number: %s; the direct ingress uses the rule's length", skipsAll)
			return
		}
		r.Priority = p
	default:
		if first == "tls" && (attr != "tls" || isTrue(v)) {
			r.TLS = true
		}
	}
}

// resolvePort finds the port of the router's traefik service among this
// service's own, as Traefik links them: the named service, else the only
// one. It reports false for a router Traefik drops.
func (out *serviceTraefik) resolvePort(r *Router, issue func(string, string, ...any)) bool {
	label := "traefik.http.routers." + r.Name + ".service"
	if r.Service != "" {
		name, provider := SplitProvider(r.Service)
		if r.External() {
			issue(label+"="+r.Service, "a service of Traefik's %s provider, not of this recipe: the direct ingress cannot serve this router", provider)
			return true
		}
		if s, ok := out.services[name]; ok {
			r.Port = s.Port
		}
		return true // a service of another compose service is resolved by App.Traefik
	}
	switch len(out.services) {
	case 0:
		issue("traefik.http.routers."+r.Name, "no traefik.http.services.*.loadbalancer.server.port label: in swarm mode Traefik cannot tell the port unless the service exposes exactly one")
	case 1:
		for _, s := range out.services {
			r.Port = s.Port
		}
	default:
		issue(label, "missing while the service declares %d traefik services: Traefik cannot link the router and does not serve it", len(out.services))
		return false
	}
	return true
}

// fillMatchers records the hosts and paths the rule asks for (outside any
// negation), which readiness and enrollment read.
func fillMatchers(r *Router, expr *RuleExpr) {
	expr.Walk(func(m *RuleExpr, negated bool) {
		if negated {
			return
		}
		switch m.Matcher {
		case "Host", "HostHeader":
			r.Hosts = append(r.Hosts, m.Args...)
		case "HostRegexp":
			r.HostRegexps = append(r.HostRegexps, m.Args...)
		case "Path":
			r.Paths = append(r.Paths, m.Args...)
		case "PathPrefix":
			r.PathPrefix = append(r.PathPrefix, m.Args...)
		}
	})
}

// SplitProvider splits a traefik reference "name@provider".
func SplitProvider(ref string) (name, provider string) {
	if i := strings.LastIndexByte(ref, '@'); i >= 0 {
		return ref[:i], strings.ToLower(ref[i+1:])
	}
	return ref, ""
}

// traefikRouters returns the HTTP routers of one service's labels that
// Traefik would serve. Label problems never fail: see App.Traefik.
func traefikRouters(labels map[string]string) ([]Router, error) {
	out := parseTraefikLabels("", labels).routers
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
