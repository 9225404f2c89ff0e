package ingress

import "testing"

// The readiness probe follows the router: it asks for a path that reaches
// the app through the router's rule and middlewares, the app's own
// healthcheck path mapped back through them when there is one.
func TestDefaultProbePathFollowsTheRouter(t *testing.T) {
	const mw = "traefik.http.middlewares."
	for name, tc := range map[string]struct {
		labels []string
		want   string
	}{
		"host only: the root, as before": {
			labels: append(router("app", "Host(`app.test`)"), "healthcheck:http://127.0.0.1:$PORT/health"),
			want:   "/",
		},
		"prefix without healthcheck: the prefix": {
			labels: router("app", "Host(`app.test`) && PathPrefix(`/api`)"),
			want:   "/api",
		},
		"prefix stripped, healthcheck: mapped back under the prefix": {
			labels: append(routed("app", "Host(`app.test`) && PathPrefix(`/x`)", "strip", mw+"strip.stripprefix.prefixes=/x"),
				"healthcheck:http://127.0.0.1:$PORT/health"),
			want: "/x/health",
		},
		"prefix stripped, no healthcheck: the prefix through the middleware": {
			labels: routed("app", "Host(`app.test`) && PathPrefix(`/x/`)", "strip", mw+"strip.stripprefix.prefixes=/x"),
			want:   "/x/",
		},
		"addprefix: the healthcheck path without it": {
			labels: append(routed("app", "Host(`app.test`) && !PathPrefix(`/api`)", "add", mw+"add.addprefix.prefix=/api"),
				"healthcheck:http://localhost:$PORT/api/status"),
			want: "/status",
		},
		"healthcheck on another port: not used": {
			labels: append(routed("app", "Host(`app.test`) && PathPrefix(`/x`)", "strip", mw+"strip.stripprefix.prefixes=/x"),
				"healthcheck:http://127.0.0.1:1/health"),
			want: "/x",
		},
		"traefik's own health check path of the service, mapped back": {
			labels: routed("app", "Host(`app.test`) && PathPrefix(`/x`)", "strip", mw+"strip.stripprefix.prefixes=/x",
				"traefik.http.services.app.loadbalancer.healthcheck.path=/ping"),
			want: "/x/ping",
		},
		"healthcheck the router does not serve: the router's path": {
			labels: append(router("app", "Host(`app.test`) && PathPrefix(`/api`)"), "healthcheck:http://127.0.0.1:$PORT/health"),
			want:   "/api",
		},
	} {
		t.Run(name, func(t *testing.T) {
			app := labelled(t, map[string][]string{"app": tc.labels})
			if got := DefaultProbePath(app); got != tc.want {
				t.Errorf("DefaultProbePath = %q, want %q", got, tc.want)
			}
		})
	}
}
