package recipe

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	composetypes "github.com/docker/cli/cli/compose/types"
)

// Stream protocols.
const (
	TCP = "tcp"
	UDP = "udp"
)

// StreamRoute is a way into the app that is not HTTP: a Traefik TCP or
// UDP router, or a port the service publishes. Either way the traffic
// reaches Port on a task of Target.
type StreamRoute struct {
	Protocol string `json:"protocol"` // TCP or UDP
	// Router is the traefik router's name; "" for a published port.
	Router string `json:"router,omitempty"`
	// Rule is a TCP router's rule (HostSNI(`*`) for plain TCP, a host
	// name for TLS); UDP routers have none.
	Rule        string   `json:"rule,omitempty"`
	Entrypoints []string `json:"entrypoints,omitempty"`
	// TLS is set for a TCP router with tls labels: Traefik terminates
	// TLS, or passes it through to the app (Passthrough).
	TLS         bool `json:"tls,omitempty"`
	Passthrough bool `json:"passthrough,omitempty"`
	// Carrier is the compose service whose labels or ports declare it.
	Carrier string `json:"carrier"`
	// Target is the compose service whose tasks receive the traffic; ""
	// when it goes to a service of another Traefik provider (External).
	Target   string `json:"target,omitempty"`
	External string `json:"external,omitempty"`
	// Port is the target's container port; 0 when unknown.
	Port int `json:"port,omitempty"`
	// Published is the host port of a published port (Mode "host" or
	// "ingress"); 0 for a router.
	Published int    `json:"published,omitempty"`
	Mode      string `json:"mode,omitempty"`
}

// String names the route for humans: "tcp router echo -> echo:7000",
// "udp port 17001 published in host mode -> echo:7001", "tcp port
// published in host mode (host port picked by swarm) -> echo:7000".
func (s StreamRoute) String() string {
	dest := s.External
	if s.Target != "" {
		dest = s.Target + ":" + portText(s.Port)
	}
	if s.Router != "" {
		return fmt.Sprintf("%s router %s -> %s", s.Protocol, s.Router, dest)
	}
	if s.Published == 0 {
		return fmt.Sprintf("%s port published in %s mode (host port picked by swarm) -> %s", s.Protocol, s.Mode, dest)
	}
	return fmt.Sprintf("%s port %d published in %s mode -> %s", s.Protocol, s.Published, s.Mode, dest)
}

func portText(p int) string {
	if p == 0 {
		return "?"
	}
	return strconv.Itoa(p)
}

// Port is a port a compose service publishes.
type Port struct {
	Target    int    `json:"target"`
	Published int    `json:"published,omitempty"`
	Protocol  string `json:"protocol"` // tcp or udp
	Mode      string `json:"mode"`     // host or ingress
}

// servicePorts reads a compose service's published ports.
func servicePorts(ports []composetypes.ServicePortConfig) []Port {
	var out []Port
	for _, p := range ports {
		if p.Target == 0 {
			continue
		}
		proto := strings.ToLower(p.Protocol)
		if proto == "" {
			proto = TCP
		}
		mode := p.Mode
		if mode == "" {
			mode = "ingress" // swarm's default
		}
		out = append(out, Port{Target: int(p.Target), Published: int(p.Published), Protocol: proto, Mode: mode})
	}
	return out
}

// streamLabels is what one compose service's traefik.tcp.* and
// traefik.udp.* labels declare.
type streamLabels struct {
	routers  []StreamRoute                // resolved on this service only
	services map[string]map[string]int    // protocol -> traefik service -> port
	named    map[string]map[string]string // protocol -> router -> its service label
	issues   []LabelIssue
}

// tcpRouterAttrs and udpRouterAttrs are the router options Traefik knows
// for each protocol (tls.* matched by its first part).
var (
	tcpRouterAttrs = map[string]bool{"rule": true, "rulesyntax": true, "entrypoints": true, "service": true,
		"middlewares": true, "priority": true, "tls": true}
	udpRouterAttrs = map[string]bool{"entrypoints": true, "service": true}
)

// parseStreamLabels reads a service's TCP and UDP router labels as
// Traefik's swarm provider does, tolerating what it tolerates.
func parseStreamLabels(svc string, labels map[string]string) streamLabels {
	out := streamLabels{services: map[string]map[string]int{}, named: map[string]map[string]string{}}
	issue := func(label, format string, args ...any) {
		out.issues = append(out.issues, LabelIssue{Service: svc, Label: label, Msg: fmt.Sprintf(format, args...)})
	}
	if v, ok := labels["traefik.enable"]; ok && !isTrue(v) {
		return out // parseTraefikLabels already says so when v is no boolean
	}
	routers := map[string]*StreamRoute{}
	for _, k := range sortedKeys(labels) {
		v := labels[k]
		parts := strings.SplitN(k, ".", 5)
		if len(parts) < 2 || parts[0] != "traefik" {
			continue
		}
		proto := strings.ToLower(parts[1])
		if proto != TCP && proto != UDP {
			continue
		}
		if len(parts) < 5 {
			issue(k, "incomplete label: %s", skipsAll)
			continue
		}
		kind, name, attr := strings.ToLower(parts[2]), parts[3], strings.ToLower(parts[4])
		switch kind {
		case "routers":
			r := routers[proto+"\x00"+name]
			if r == nil {
				r = &StreamRoute{Protocol: proto, Router: name, Carrier: svc}
				routers[proto+"\x00"+name] = r
			}
			out.routerLabel(r, k, attr, v, issue)
		case "services":
			if out.services[proto] == nil {
				out.services[proto] = map[string]int{}
			}
			port := out.services[proto][name]
			if attr == "loadbalancer.server.port" {
				p, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || p < 1 || p > 65535 {
					issue(k+"="+v, "not a port number: Traefik builds an unusable server address from it")
					p = 0
				}
				port = p
			}
			out.services[proto][name] = port
		case "middlewares":
			if proto == UDP {
				issue(k, "Traefik has no UDP middlewares: %s", skipsAll)
			}
		default:
			issue(k, "unknown kind %q under traefik.%s (want routers, services or middlewares): %s", parts[2], proto, skipsAll)
		}
	}
	keys := make([]string, 0, len(routers))
	for k := range routers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := routers[k]
		if r.Protocol == TCP && strings.TrimSpace(r.Rule) == "" {
			issue("traefik.tcp.routers."+r.Router, "no rule: Traefik does not serve a TCP router without one (HostSNI(`*`) takes every connection)")
			continue
		}
		out.routers = append(out.routers, *r)
	}
	return out
}

func (out *streamLabels) routerLabel(r *StreamRoute, key, attr, v string, issue func(string, string, ...any)) {
	first, _, _ := strings.Cut(attr, ".")
	known := tcpRouterAttrs
	if r.Protocol == UDP {
		known = udpRouterAttrs
	}
	if !known[first] {
		issue(key, "unknown %s router option %q: %s", r.Protocol, attr, skipsAll)
		return
	}
	switch {
	case attr == "rule":
		r.Rule = strings.TrimSpace(v)
	case attr == "entrypoints":
		r.Entrypoints = splitList(v)
	case attr == "service":
		if out.named[r.Protocol] == nil {
			out.named[r.Protocol] = map[string]string{}
		}
		out.named[r.Protocol][r.Router] = strings.TrimSpace(v)
	case attr == "tls.passthrough":
		r.Passthrough = isTrue(v)
		r.TLS = r.TLS || r.Passthrough
	case first == "tls" && (attr != "tls" || isTrue(v)):
		r.TLS = true
	}
}

// Streams returns the app's ways in that are not HTTP: every Traefik TCP
// and UDP router (with the compose service and container port it sends
// to) and every published port, ordered by carrier. What Traefik would
// not serve is left out; App.Traefik lists the label issues.
func (a *App) Streams() []StreamRoute {
	routes, _ := a.streams()
	return routes
}

// streams resolves every service's stream routers across the app, as
// Traefik links a router to a service another compose service declares.
func (a *App) streams() ([]StreamRoute, []LabelIssue) {
	parsed := map[string]streamLabels{}
	owner := map[string]string{} // protocol + traefik service -> compose service
	var issues []LabelIssue
	for _, s := range a.Services {
		p := parseStreamLabels(s.Name, s.Labels)
		parsed[s.Name] = p
		issues = append(issues, p.issues...)
		for proto, svcs := range p.services {
			for _, name := range sortedKeys(svcs) {
				if _, dup := owner[proto+"\x00"+name]; !dup {
					owner[proto+"\x00"+name] = s.Name
				}
			}
		}
	}
	var out []StreamRoute
	for _, s := range a.Services {
		p := parsed[s.Name]
		for _, r := range p.routers {
			label := "traefik." + r.Protocol + ".routers." + r.Router
			ref := p.named[r.Protocol][r.Router]
			name, provider := SplitProvider(ref)
			switch {
			case ref != "" && provider != "" && provider != "docker" && provider != "swarm":
				r.External = ref
			case ref != "":
				o, ok := owner[r.Protocol+"\x00"+name]
				if !ok {
					issues = append(issues, LabelIssue{Service: s.Name, Label: label + ".service=" + ref,
						Msg: "no service of this recipe declares it: Traefik serves the router only if another stack does"})
					continue
				}
				r.Target, r.Port = o, parsed[o].services[r.Protocol][name]
			default:
				own := p.services[r.Protocol]
				switch len(own) {
				case 0:
					r.Target = s.Name
					if port, ok := a.exposedPort(s.Name); ok {
						r.Port = port
					} else {
						issues = append(issues, LabelIssue{Service: s.Name, Label: label,
							Msg: fmt.Sprintf("no traefik.%s.services.*.loadbalancer.server.port label: in swarm mode Traefik cannot tell the port unless the service exposes exactly one", r.Protocol)})
					}
				case 1:
					for _, port := range own {
						r.Target, r.Port = s.Name, port
					}
				default:
					issues = append(issues, LabelIssue{Service: s.Name, Label: label + ".service",
						Msg: fmt.Sprintf("missing while the service declares %d %s services: Traefik cannot link the router and does not serve it", len(own), r.Protocol)})
					continue
				}
			}
			out = append(out, r)
		}
		for _, port := range s.Ports {
			out = append(out, StreamRoute{Protocol: port.Protocol, Carrier: s.Name, Target: s.Name,
				Port: port.Target, Published: port.Published, Mode: port.Mode})
		}
	}
	return out, issues
}
