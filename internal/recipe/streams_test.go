package recipe

import (
	"strings"
	"testing"
)

// TCP and UDP routers and published ports are read as Traefik and swarm
// read them: each names the compose service and container port its
// traffic reaches, and what Traefik would not serve is a label issue.
func TestStreams(t *testing.T) {
	for name, tc := range map[string]struct {
		extra  string
		labels []string
		want   []string // StreamRoute.String() of each
		issues []string
	}{
		"tcp router with HostSNI(*) and udp router": {
			labels: []string{"traefik.enable=true",
				"traefik.tcp.routers.${STACK_NAME}-echo.rule=HostSNI(`*`)", "traefik.tcp.routers.${STACK_NAME}-echo.entrypoints=echo",
				"traefik.tcp.services.${STACK_NAME}-echo.loadbalancer.server.port=7000",
				"traefik.udp.routers.${STACK_NAME}-voice.entrypoints=voice",
				"traefik.udp.services.${STACK_NAME}-voice.loadbalancer.server.port=7001"},
			want: []string{"tcp router demo-abcdef_example_org-echo -> app:7000", "udp router demo-abcdef_example_org-voice -> app:7001"},
		},
		"tls passthrough on a host name": {
			labels: []string{"traefik.tcp.routers.db.rule=HostSNI(`${DOMAIN}`)", "traefik.tcp.routers.db.tls.passthrough=true",
				"traefik.tcp.services.db.loadbalancer.server.port=5432"},
			want: []string{"tcp router db -> app:5432"},
		},
		"router naming one of two services": {
			labels: []string{"traefik.tcp.routers.a.rule=HostSNI(`*`)", "traefik.tcp.routers.a.service=two",
				"traefik.tcp.services.one.loadbalancer.server.port=1", "traefik.tcp.services.two.loadbalancer.server.port=2"},
			want: []string{"tcp router a -> app:2"},
		},
		"router without service among two": {
			labels: []string{"traefik.tcp.routers.a.rule=HostSNI(`*`)",
				"traefik.tcp.services.one.loadbalancer.server.port=1", "traefik.tcp.services.two.loadbalancer.server.port=2"},
			issues: []string{"traefik.tcp.routers.a.service: missing while the service declares 2 tcp services"},
		},
		"tcp router without rule": {
			labels: []string{"traefik.tcp.routers.a.entrypoints=x", "traefik.tcp.services.a.loadbalancer.server.port=1"},
			issues: []string{"traefik.tcp.routers.a: no rule"},
		},
		"no port label, one exposed port": {
			extra:  "    expose:\n      - \"7000\"\n",
			labels: []string{"traefik.tcp.routers.a.rule=HostSNI(`*`)"},
			want:   []string{"tcp router a -> app:7000"},
		},
		"no port label and nothing exposed": {
			labels: []string{"traefik.udp.routers.a.entrypoints=x"},
			want:   []string{"udp router a -> app:?"},
			issues: []string{"no traefik.udp.services.*.loadbalancer.server.port label"},
		},
		"external service and bad labels": {
			labels: []string{"traefik.tcp.routers.a.rule=HostSNI(`*`)", "traefik.tcp.routers.a.service=other@file",
				"traefik.udp.routers.b.rule=HostSNI(`*`)", "traefik.udp.services.b.loadbalancer.server.port=x",
				"traefik.udp.middlewares.m.foo=1", "traefik.tcp.things.c.x=1", "traefik.tcp.routers"},
			want: []string{"tcp router a -> other@file", "udp router b -> app:?"},
			issues: []string{`unknown udp router option "rule"`, "loadbalancer.server.port=x: not a port number",
				"traefik.udp.middlewares.m.foo: Traefik has no UDP middlewares", `unknown kind "things"`, "traefik.tcp.routers: incomplete label"},
		},
		"disabled": {
			labels: []string{"traefik.enable=false", "traefik.tcp.routers.a.rule=HostSNI(`*`)"},
		},
		"published ports": {
			extra: "    ports:\n      - target: 7000\n        published: 17000\n        mode: host\n" +
				"      - target: 7001\n        published: 17001\n        protocol: udp\n        mode: host\n      - \"8080:80\"\n" +
				"      - target: 7002\n        mode: host\n",
			labels: []string{"coop-cloud.${STACK_NAME}.version=1.0.0+1"},
			want: []string{"tcp port 17000 published in host mode -> app:7000", "udp port 17001 published in host mode -> app:7001",
				"tcp port 8080 published in ingress mode -> app:80", "tcp port published in host mode (host port picked by swarm) -> app:7002"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			app := resolveLabels(t, labelsCompose(tc.extra, tc.labels...))
			var got []string
			for _, s := range app.Streams() {
				got = append(got, s.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("streams:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
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

// A router may send to a TCP service another compose service declares.
func TestStreamsCrossService(t *testing.T) {
	compose := `version: "3.8"
services:
  app:
    image: nginx:1.27
    deploy:
      labels:
        - "traefik.tcp.routers.r.rule=HostSNI(` + "`*`" + `)"
        - "traefik.tcp.routers.r.service=db@docker"
  db:
    image: nginx:1.27
    deploy:
      labels:
        - "traefik.tcp.services.db.loadbalancer.server.port=5432"
`
	app := resolveLabels(t, compose)
	s := app.Streams()
	if len(s) != 1 || s[0].Carrier != "app" || s[0].Target != "db" || s[0].Port != 5432 {
		t.Fatalf("streams = %+v", s)
	}
	if text := issueText(app.Traefik()); text != "" {
		t.Errorf("issues:\n%s", text)
	}
}
