package recipe

import (
	"strings"
	"testing"
)

// FuzzTraefikLabels feeds any deploy labels (one "key=value" a line) to
// the exported label readers: App.Traefik over two services carrying them,
// and ParseRule on every rule label in each syntax. Contract: no panic;
// every label issue names a service of the app and a label; every TCP or
// UDP stream reaches a service of the app or another provider's; a rule either
// parses to an expression or fails with an error, the same way twice.
func FuzzTraefikLabels(f *testing.F) {
	f.Add("traefik.enable=true\ntraefik.http.routers.app.rule=Host(`${DOMAIN}`) && PathPrefix(`/api`)\n" +
		"traefik.http.routers.app.middlewares=strip@swarm\ntraefik.http.middlewares.strip.stripprefix.prefixes=/api\n" +
		"traefik.http.services.app.loadbalancer.server.port=8080")
	f.Add("traefik.http.routers.x.rule=Host(`a`, `b`) || !Headers(`k`, `v`)\ntraefik.http.routers.x.service=y\n" +
		"traefik.http.routers.x.ruleSyntax=v2\ntraefik.http.services.y.loadbalancer.server.port=notaport")
	f.Add("traefik.tcp.routers.t.rule=HostSNI(`*`)\ntraefik.tcp.routers.t.service=db@docker\ntraefik.tcp.routers.t.tls.passthrough=true\n" +
		"traefik.tcp.services.db.loadbalancer.server.port=5432\ntraefik.udp.routers.u.entrypoints=voice\ntraefik.udp.services.u.loadbalancer.server.port=x")
	f.Fuzz(func(t *testing.T, labelLines string) {
		labels := map[string]string{}
		for _, line := range strings.Split(labelLines, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				labels[k] = v
			}
		}
		app := &App{Services: []Service{{Name: "app", Labels: labels}, {Name: "db", Labels: labels}}}
		tr := app.Traefik()
		for _, s := range app.Streams() { // TCP and UDP routers: each reaches a service of the app, or names another provider's
			if (s.Target != "app" && s.Target != "db") == (s.External == "") || s.Port < 0 || s.Port > 65535 {
				t.Fatalf("stream %+v reaches no service of the app", s)
			}
		}
		for _, is := range tr.Issues {
			if (is.Service != "app" && is.Service != "db") || is.Label == "" {
				t.Fatalf("issue %+v names no label of a service of the app", is)
			}
		}
		for k, rule := range labels {
			if !strings.HasSuffix(k, ".rule") {
				continue
			}
			for _, syntax := range []string{RuleV2, RuleV3, RuleAuto} {
				expr, _, err := ParseRule(rule, syntax)
				expr2, _, err2 := ParseRule(rule, syntax)
				if (err == nil) != (expr != nil) || (err == nil) != (err2 == nil) || (expr == nil) != (expr2 == nil) {
					t.Fatalf("ParseRule(%q, %q) = %v, %v; then %v, %v", rule, syntax, expr, err, expr2, err2)
				}
			}
		}
	})
}
