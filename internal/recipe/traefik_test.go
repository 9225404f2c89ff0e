package recipe

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// labelsCompose is a one-service recipe whose app carries the given labels.
func labelsCompose(extra string, labels ...string) string {
	var b strings.Builder
	b.WriteString("version: \"3.8\"\nservices:\n  app:\n    image: nginx:1.27\n" + extra + "    deploy:\n      labels:\n")
	for _, l := range labels {
		b.WriteString("        - \"" + strings.ReplaceAll(l, `"`, `\"`) + "\"\n")
	}
	return b.String()
}

func resolveLabels(t *testing.T, compose string) *App {
	t.Helper()
	r, err := LoadDir(writeRecipe(t, map[string]string{".env.sample": "TYPE=demo\nDOMAIN=demo.example.com\n", "compose.yml": compose}))
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(ResolveOptions{Domain: "demo-abcdef.example.org"})
	if err != nil {
		t.Fatalf("a label problem refused the recipe: %v", err)
	}
	return app
}

func issueText(tr *Traefik) string {
	var lines []string
	for _, i := range tr.Issues {
		lines = append(lines, i.String())
	}
	return strings.Join(lines, "\n")
}

// Co-op Cloud's own traefik recipe: its dashboard router goes to
// api@internal, so its one traefik service (port "web", not a number) is
// unused; its middleware and TLS options live in the file provider.
// abra deploys it and Traefik serves it: it must load, with warnings.
func TestTraefikRecipeShapeLoads(t *testing.T) {
	app := resolveLabels(t, labelsCompose("",
		"traefik.enable=true",
		"traefik.http.services.traefik.loadbalancer.server.port=web",
		"traefik.http.routers.traefik.rule=Host(`${DOMAIN}`)",
		"traefik.http.routers.traefik.entrypoints=web-secure",
		"traefik.http.routers.traefik.tls.certresolver=production",
		"traefik.http.routers.traefik.tls.options=default@file",
		"traefik.http.routers.traefik.service=api@internal",
		"traefik.http.routers.traefik.middlewares=security@file",
	))
	s := app.Services[0]
	if len(s.Routers) != 1 || s.Routers[0].Service != "api@internal" || !s.Routers[0].TLS || s.Routers[0].EntryScheme() != "https" {
		t.Fatalf("routers = %+v", s.Routers)
	}
	tr := app.Traefik()
	if len(tr.Routes) != 1 || tr.Routes[0].External != "api@internal" || tr.Routes[0].Target != "" {
		t.Errorf("routes = %+v", tr.Routes)
	}
	got := issueText(tr)
	for _, want := range []string{
		"traefik.http.services.traefik.loadbalancer.server.port=web: not a port number",
		"traefik.http.services.traefik: no router uses this traefik service",
		"traefik.http.routers.traefik.service=api@internal: a service of Traefik's internal provider",
		"traefik.http.routers.traefik.middlewares=security@file: middleware security is defined by Traefik's file provider",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("issues lack %q:\n%s", want, got)
		}
	}
}

// Hand-made cases from Traefik's label reference: each loads, with the
// routers Traefik would serve and a warning naming the label.
func TestTraefikLabelTolerance(t *testing.T) {
	for name, tc := range map[string]struct {
		extra   string
		labels  []string
		routers []string // name:port
		issues  []string
	}{
		"port from the only exposed port": {
			extra:   "    expose: [\"3000\"]\n",
			labels:  []string{"traefik.enable=true", "traefik.http.routers.r.rule=Host(`${DOMAIN}`)"},
			routers: []string{"r:0"},
			issues:  []string{"no traefik.http.services", "exposes the single port 3000, which is used"},
		},
		"bad priority and syntax": {
			labels: []string{"traefik.enable=true", "traefik.http.routers.r.rule=Host(`${DOMAIN}`)",
				"traefik.http.routers.r.priority=high", "traefik.http.routers.r.ruleSyntax=v9",
				"traefik.http.services.s.loadbalancer.server.port=80"},
			routers: []string{"r:80"},
			issues:  []string{"traefik.http.routers.r.priority=high: not a number", "ruleSyntax=v9: not a rule syntax"},
		},
		"unparsable rule drops the router only": {
			labels: []string{"traefik.enable=true", "traefik.http.routers.bad.rule=Host(`${DOMAIN}`",
				"traefik.http.routers.good.rule=Host(`${DOMAIN}`) && PathPrefix(`/x`)",
				"traefik.http.services.s.loadbalancer.server.port=80"},
			routers: []string{"good:80"},
			issues:  []string{"traefik.http.routers.bad.rule=Host(`demo-abcdef.example.org`: Traefik cannot parse this rule"},
		},
		"two services, router without one": {
			labels: []string{"traefik.enable=true", "traefik.http.routers.r.rule=Host(`${DOMAIN}`)",
				"traefik.http.routers.named.rule=Host(`${DOMAIN}`) && Path(`/b`)", "traefik.http.routers.named.service=b@docker",
				"traefik.http.services.a.loadbalancer.server.port=80", "traefik.http.services.b.loadbalancer.server.port=81"},
			routers: []string{"named:81"},
			issues:  []string{"traefik.http.routers.r.service: missing while the service declares 2", "traefik.http.services.a: no router uses"},
		},
		"v2 syntax and v2-only headers options": {
			labels: []string{"traefik.enable=true", "traefik.http.routers.r.rule=Host(`${DOMAIN}`, `www.${DOMAIN}`)",
				"traefik.http.routers.r.middlewares=h", "traefik.http.middlewares.h.headers.SSLForceHost=true",
				"traefik.http.services.s.loadbalancer.server.port=80"},
			routers: []string{"r:80"},
			issues:  []string{"is Traefik v2 rule syntax", "headers.SSLForceHost was removed in Traefik v3"},
		},
		"unknown middleware reference, type and router option": {
			labels: []string{"traefik.enable=true", "traefik.http.routers.r.rule=Host(`${DOMAIN}`)",
				"traefik.http.routers.r.middlewares=missing@docker,chained", "traefik.http.routers.r.colour=blue",
				"traefik.http.middlewares.chained.chain.middlewares=auth@file", "traefik.http.middlewares.odd.frobnicate.x=1",
				"traefik.http.services.s.loadbalancer.server.port=80"},
			routers: []string{"r:80"},
			issues: []string{"no service of this recipe declares middleware missing", "chain.middlewares=auth@file",
				`unknown middleware type "frobnicate"`, `unknown router option "colour"`},
		},
		"traefik v1 labels": {
			labels:  []string{"traefik.enable=true", "traefik.frontend.rule=Host:${DOMAIN}", "traefik.port=80"},
			routers: nil,
			issues:  []string{"traefik.frontend.rule: not a Traefik v2/v3 label", "traefik.port: not a Traefik v2/v3 label"},
		},
		"tcp and udp routers are not HTTP routes": {
			labels: []string{"traefik.enable=true", "traefik.tcp.routers.ssh.rule=HostSNI(`*`)", "traefik.tcp.routers.ssh.entrypoints=ssh",
				"traefik.tcp.services.ssh.loadbalancer.server.port=22", "traefik.udp.routers.voice.entrypoints=voice",
				"traefik.udp.services.voice.loadbalancer.server.port=64738", "traefik.docker.network=proxy", "traefik.swarm.lbswarm=true"},
		},
		"enable that is not a boolean": {
			labels: []string{"traefik.enable=yes", "traefik.http.routers.r.rule=Host(`${DOMAIN}`)"},
			issues: []string{"traefik.enable=yes: not a boolean: Traefik cannot decode it and skips every traefik label"},
		},
		"disabled service is ignored": {
			labels: []string{"traefik.enable=false", "traefik.http.routers.r.rule=Host(`${DOMAIN}`",
				"traefik.http.services.s.loadbalancer.server.port=web"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			app := resolveLabels(t, labelsCompose(tc.extra, tc.labels...))
			var got []string
			for _, r := range app.Services[0].Routers {
				got = append(got, r.Name+":"+strconv.Itoa(r.Port))
			}
			if !slices.Equal(got, tc.routers) {
				t.Errorf("routers = %v, want %v", got, tc.routers)
			}
			text := issueText(app.Traefik())
			for _, w := range tc.issues {
				if !strings.Contains(text, w) {
					t.Errorf("issues lack %q:\n%s", w, text)
				}
			}
			if len(tc.issues) == 0 && text != "" {
				t.Errorf("unexpected issues:\n%s", text)
			}
		})
	}
}

// A router may send to a traefik service that another compose service
// declares: its traffic goes to that service's tasks.
func TestTraefikCrossServiceRoute(t *testing.T) {
	compose := `version: "3.8"
services:
  app:
    image: nginx:1.27
    deploy:
      labels:
        - "traefik.enable=true"
        - "traefik.http.routers.api.rule=Host(` + "`${DOMAIN}`" + `) && PathPrefix(` + "`/api`" + `)"
        - "traefik.http.routers.api.service=api-svc"
        - "traefik.http.routers.api.middlewares=strip"
  api:
    image: nginx:1.27
    deploy:
      labels:
        - "traefik.enable=true"
        - "traefik.http.services.api-svc.loadbalancer.server.port=9000"
        - "traefik.http.middlewares.strip.stripprefix.prefixes=/api"
`
	tr := resolveLabels(t, compose).Traefik()
	if len(tr.Routes) != 1 || tr.Routes[0].Carrier != "app" || tr.Routes[0].Target != "api" || tr.Routes[0].Port != 9000 {
		t.Fatalf("routes = %+v", tr.Routes)
	}
	m := tr.Middlewares["strip"]
	if m.Type != "stripprefix" || m.Options["prefixes"] != "/api" || m.Service != "api" {
		t.Errorf("middleware = %+v", m)
	}
	if len(tr.Issues) != 0 {
		t.Errorf("issues:\n%s", issueText(tr))
	}
}

// Every recipe of the corpus loads, and what Traefik would warn about in
// its labels is a warning naming the label.
func TestCorpusTraefikLabels(t *testing.T) {
	entries, err := os.ReadDir(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"gaseous":     {"headers.SSLForceHost was removed in Traefik v3", "headers.SSLHost was removed"},
		"go-ssb-room": {"HostRegexp(`{subdomain:\\w+}.bonf-c0ffee.ci.example.org`) is Traefik v2 rule syntax"},
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			app := resolveCorpus(t, e.Name())
			tr := app.Traefik()
			text := issueText(tr)
			for _, w := range want[e.Name()] {
				if !strings.Contains(text, w) {
					t.Errorf("issues lack %q:\n%s", w, text)
				}
			}
			if len(tr.Routes) == 0 {
				t.Errorf("no routes")
			}
			t.Logf("issues:\n%s", text)
		})
	}
}

// A dashboard router to api@internal on the app's domain does not make the
// primary router: the app's own one does.
func TestPrimaryRouterSkipsTraefikInternal(t *testing.T) {
	app := resolveLabels(t, labelsCompose("",
		"traefik.enable=true",
		"traefik.http.routers.a-dashboard.rule=Host(`${DOMAIN}`) && PathPrefix(`/dashboard`)",
		"traefik.http.routers.a-dashboard.service=api@internal",
		"traefik.http.routers.b-app.rule=Host(`${DOMAIN}`)",
		"traefik.http.routers.b-app.service=app",
		"traefik.http.services.app.loadbalancer.server.port=80",
	))
	if _, r, ok := app.PrimaryRouter(); !ok || r.Name != "b-app" {
		t.Errorf("primary router = %+v", r)
	}
	only := resolveLabels(t, labelsCompose("", "traefik.enable=true",
		"traefik.http.routers.dash.rule=Host(`${DOMAIN}`)", "traefik.http.routers.dash.service=api@internal"))
	if _, r, ok := only.PrimaryRouter(); !ok || r.Name != "dash" {
		t.Errorf("the only router, external or not, is the primary one: %+v", r)
	}
}
