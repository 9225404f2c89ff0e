package scaffold

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// detectProbe guesses the readiness probe from the primary router and the
// healthcheck of the service carrying it.
func (d *Detection) detectProbe(app *recipe.App) {
	streams := detectStreams(app)
	svc, r, ok := app.PrimaryRouter()
	if !ok {
		d.Probe = Probe{Why: "no service has a traefik HTTP router, so there is no path to probe over the app's domain", Streams: streams}
		if len(streams) > 0 {
			d.Probe.Why += "; readiness probes its TCP and UDP ways in instead"
		}
		return
	}
	d.Probe = Probe{Service: svc.Name, Path: r.ProbePath(), Streams: streams}
	router := fmt.Sprintf("service %s's traefik router (%s)", svc.Name, routerSummary(r))
	if !r.Serves(app.Domain) {
		router += ", the first router found: none names $DOMAIN literally"
	}
	fallback := fmt.Sprintf("%s serves %s", router, d.Probe.Path)
	u, found := svc.Healthcheck.LocalURL()
	switch {
	case !found:
		d.Probe.Why = fallback + "; no healthcheck of the service asks an HTTP path on it, so any of 200, 301 or 302 means ready"
	case u.Port() != "" && r.Port != 0 && u.Port() != strconv.Itoa(r.Port):
		d.Probe.Why = fmt.Sprintf("%s; the service's healthcheck asks %s, on another port than the router's %d, so it is not used", fallback, u, r.Port)
	case !servesPath(r, u.Path):
		d.Probe.Why = fmt.Sprintf("%s; the service's healthcheck asks %s, a path the router does not serve, so it is not used", fallback, u)
	default:
		d.Probe.Path, d.Probe.Statuses = u.Path, []int{200}
		d.Probe.Why = fmt.Sprintf("the healthcheck of service %s asks %s, a path %s serves: the probe asks the same through the app's domain and wants 200", svc.Name, u, router)
	}
}

// servesPath reports whether the router's rule lets path p through: no
// path matcher at all, an exact Path(p), or a PathPrefix that p lies under.
func servesPath(r recipe.Router, p string) bool {
	if len(r.Paths) == 0 && len(r.PathPrefix) == 0 {
		return true
	}
	for _, x := range r.Paths {
		if x == p {
			return true
		}
	}
	for _, x := range r.PathPrefix {
		if x == "/" || p == x || strings.HasPrefix(p, strings.TrimSuffix(x, "/")+"/") {
			return true
		}
	}
	return false
}

// detectStreams lists the app's TCP and UDP ways in that reach a known
// port of one of its services, once per protocol, service and port.
func detectStreams(app *recipe.App) []Stream {
	var out []Stream
	seen := map[string]bool{}
	for _, r := range app.Streams() {
		key := fmt.Sprintf("%s %s:%d", r.Protocol, r.Target, r.Port)
		if r.Target == "" || r.Port == 0 || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Stream{Protocol: r.Protocol, Service: r.Target, Port: r.Port, Route: generic(r.String())})
	}
	return out
}
