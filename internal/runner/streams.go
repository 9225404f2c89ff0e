package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/facts"
	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// probesHTTP reports whether readiness asks the app over HTTP: not when
// the direct ingress found no HTTP router to serve (an app reached over
// TCP or UDP only), nor, with the traefik ingress, for an app whose
// labels declare no HTTP router but TCP or UDP ways in.
func (r *Run) probesHTTP() bool {
	if !ingress.ServesHTTP(r.Ingress) {
		return false
	}
	app := r.Deployed
	return r.cfg.ingress.Kind != "traefik" || len(app.Traefik().Routes) > 0 || len(app.Streams()) == 0
}

// readyStreams probes the app's TCP and UDP ways in (Traefik TCP/UDP
// routers, published ports) that the ingress serves (at their tasks, or
// through Traefik): a TCP stream is ready when it accepts a connection, or
// answers what recipe.toml's [[probe.tcp]] expects; a UDP stream is probed
// only when [[probe.udp]] says what to send, since UDP has no connection
// that could prove anything.
func (r *Run) readyStreams(ctx context.Context, rec *Record) error {
	streams := ingress.Streams(r.Ingress)
	probed := 0
	for _, s := range streams {
		sp, _ := r.streamProbe(s, streams)
		what := s.StreamRoute.String()
		svc, _ := r.Deployed.Service(s.Target)
		switch {
		case svc != nil && svc.Replicas == 0:
			r.Logf("readiness: %s not probed: service %s runs no replica", what, s.Target)
			continue
		case sp.Skip != "":
			r.Logf("readiness: %s not probed: %s (%s)", what, sp.Skip, r.Enrollment.File)
			continue
		case s.Protocol == recipe.UDP && sp.Send == "":
			r.Logf("readiness: %s not probed: UDP has no connection, only an answer proves the app is up ([[probe.udp]] in recipe.toml says what to send and expect)", what)
			r.noteOnce(rec, fmt.Sprintf("%s not probed: no [[probe.udp]] in recipe.toml", what))
			continue
		}
		res, err := ingress.ProbeStream(ctx, s, ingress.StreamProbeOptions{Send: sp.Send, Expect: sp.Expect,
			Timeout: r.timeout(rec), Progress: func(m string) { r.Logf("%s", m) }})
		if err != nil {
			return fmt.Errorf("readiness: %s: %w", what, err)
		}
		probed++
		switch {
		case sp.Expect != "":
			r.Logf("ready: %s answered %s", what, res.Answer)
		default:
			r.Logf("ready: %s accepted a connection", what)
		}
	}
	if probed == 0 && !r.probesHTTP() {
		r.noteOnce(rec, "readiness: nothing could be probed: the app has no HTTP router and no TCP/UDP way in that answers a probe")
	}
	return nil
}

// streamProbe is recipe.toml's probe for the stream, if any.
func (r *Run) streamProbe(s *ingress.Stream, all []*ingress.Stream) (enrollment.StreamProbe, bool) {
	if r.Enrollment == nil {
		return enrollment.StreamProbe{}, false
	}
	only := true
	for _, o := range all {
		if o != s && o.Protocol == s.Protocol && o.Target == s.Target {
			only = false
		}
	}
	return r.Enrollment.Probe.StreamProbe(s.Protocol, s.Target, s.Port, only)
}

// checkStreamProbes refuses, at plan time, a [[probe.tcp]] or
// [[probe.udp]] of recipe.toml that names no TCP or UDP way into the app.
func checkStreamProbes(e *enrollment.Enrollment, app *recipe.App) error {
	if e == nil {
		return nil
	}
	streams := app.Streams()
	for _, p := range []struct {
		proto  string
		probes []enrollment.StreamProbe
	}{{recipe.TCP, e.Probe.TCP}, {recipe.UDP, e.Probe.UDP}} {
		for i, sp := range p.probes {
			var ports []string
			found := false
			for _, s := range streams {
				if s.Protocol != p.proto || s.Target != sp.Service || s.Port == 0 {
					continue
				}
				ports = append(ports, fmt.Sprint(s.Port))
				found = found || s.Port == sp.Port
			}
			switch {
			case found, sp.Port == 0 && len(dedupe(ports)) == 1:
				continue
			case len(ports) == 0:
				return &recipe.ConfigError{File: e.File, Key: fmt.Sprintf("probe.%s[%d]", p.proto, i),
					Msg: fmt.Sprintf("service %s has no %s router or published %s port in recipe %s", sp.Service, strings.ToUpper(p.proto), p.proto, app.Recipe)}
			case sp.Port == 0:
				return &recipe.ConfigError{File: e.File, Key: fmt.Sprintf("probe.%s[%d].port", p.proto, i),
					Msg: fmt.Sprintf("is needed: service %s has %s streams on ports %s", sp.Service, p.proto, strings.Join(dedupe(ports), ", "))}
			default:
				return &recipe.ConfigError{File: e.File, Key: fmt.Sprintf("probe.%s[%d].port", p.proto, i),
					Msg: fmt.Sprintf("service %s has no %s stream on port %d (it has %s)", sp.Service, p.proto, sp.Port, strings.Join(dedupe(ports), ", "))}
			}
		}
	}
	return nil
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// streamFacts are the app's TCP and UDP ways in, as the recipe's tests
// reach them: at the ingress's local forwarders.
func streamFacts(ing ingress.Ingress) []facts.Stream {
	var out []facts.Stream
	for _, s := range ingress.Streams(ing) {
		out = append(out, facts.Stream{Protocol: s.Protocol, Service: s.Target, Port: s.Port, Route: s.StreamRoute.String(), Addr: s.Local})
	}
	return out
}
