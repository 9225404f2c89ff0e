package ingress

import (
	"net/http"
	"testing"
)

// router is the labels of one compose service carrying one router to its
// own backend.
func router(name, rule string, extra ...string) []string {
	return append([]string{
		"traefik.enable=true",
		"traefik.http.routers." + name + ".rule=" + rule,
		"traefik.http.services." + name + ".loadbalancer.server.port=$PORT",
	}, extra...)
}

// Each matcher and operator as Traefik's routing documentation states it:
// request -> the router (service) that serves it, or none (404 from the
// ingress).
func TestDirectRules(t *testing.T) {
	app := labelled(t, map[string][]string{
		// the catch-all: Host only, the shortest rule, so the lowest priority
		"web":    router("web", "Host(`app.test`)"),
		"prefix": router("prefix", "Host(`app.test`) && PathPrefix(`/api`)"),
		"exact":  router("exact", "Host(`app.test`) && Path(`/exact`)"),
		"re":     router("re", "Host(`app.test`) && PathRegexp(`^/v[0-9]+/`)"),
		"method": router("method", "Host(`app.test`) && Method(`POST`) && PathPrefix(`/api`)"),
		"header": router("header", "Host(`app.test`) && Header(`X-Mode`, `beta`)"),
		"hre":    router("hre", "Host(`app.test`) && HeaderRegexp(`X-Mode`, `^gam+a$`)"),
		"query":  router("query", "Host(`app.test`) && Query(`view`, `print`)"),
		"qre":    router("qre", "Host(`app.test`) && QueryRegexp(`page`, `^[0-9]+$`)"),
		"qkey":   router("qkey", "Host(`app.test`) && Query(`debug`)"),
		"client": router("client", "Host(`app.test`) && ClientIP(`127.0.0.0/8`) && Path(`/whoami`)"),
		"notip":  router("notip", "Host(`app.test`) && !ClientIP(`127.0.0.1`) && Path(`/never`)"),
		"or":     router("or", "(Host(`a.app.test`) || Host(`b.app.test`)) && !PathPrefix(`/private`)"),
		"sub":    router("sub", "HostRegexp(`^[a-z]+\\.tenants\\.app\\.test$`)"),
		"v2":     router("v2", "Host(`old.app.test`, `older.app.test`) && PathPrefix(`/items/{id:[0-9]+}`)"),
		"v2tmpl": router("v2tmpl", "HostRegexp(`{sub:[a-z]+}.v2.app.test`)"),
		"v2hdr":  router("v2hdr", "Host(`app.test`) && Headers(`X-Old`, `1`) && Query(`lang=en`)"),
		"wild":   router("wild", "Host(`*.wild.app.test`)"),
		"pinned": router("pinned", "Host(`app.test`) && PathPrefix(`/api/pinned`)", "traefik.http.routers.pinned.priority=1"),
	})
	d := newDirect(t, app, loopback())
	for _, tc := range []struct {
		method, url string
		header      http.Header
		want        string // the service reached, "" for none
	}{
		{"GET", "http://app.test/", nil, "web"},
		{"GET", "http://APP.test/x", nil, "web"}, // hosts ignore case
		{"GET", "http://app.test/api", nil, "prefix"},
		{"GET", "http://app.test/apix", nil, "prefix"}, // PathPrefix is a string prefix
		{"GET", "http://app.test/exact", nil, "exact"},
		{"GET", "http://app.test/exact/", nil, "web"}, // Path is exact
		{"GET", "http://app.test/v2/things", nil, "re"},
		{"GET", "http://app.test/v/things", nil, "web"},
		{"POST", "http://app.test/api/items", nil, "method"}, // the longer rule wins
		{"GET", "http://app.test/api/items", nil, "prefix"},
		{"GET", "http://app.test/h", http.Header{"X-Mode": {"beta"}}, "header"},
		{"GET", "http://app.test/h", http.Header{"X-Mode": {"gamma"}}, "hre"},
		{"GET", "http://app.test/h", http.Header{"X-Mode": {"delta"}}, "web"},
		{"GET", "http://app.test/r?view=print", nil, "query"},
		{"GET", "http://app.test/r?view=screen", nil, "web"},
		{"GET", "http://app.test/r?page=12", nil, "qre"},
		{"GET", "http://app.test/r?page=x", nil, "web"},
		{"GET", "http://app.test/r?debug", nil, "qkey"},
		{"GET", "http://app.test/whoami", nil, "client"}, // the test client is on loopback
		{"GET", "http://app.test/never", nil, "web"},
		{"GET", "http://a.app.test/", nil, "or"},
		{"GET", "http://b.app.test/public", nil, "or"},
		{"GET", "http://b.app.test/private/x", nil, ""}, // ! excludes it, and no other router serves b.app.test
		{"GET", "http://acme.tenants.app.test/", nil, "sub"},
		{"GET", "http://older.app.test/items/42/detail", nil, "v2"},
		{"GET", "http://old.app.test/items/abc", nil, ""},
		{"GET", "http://x.v2.app.test/", nil, "v2tmpl"},
		{"GET", "http://app.test/o?lang=en", http.Header{"X-Old": {"1"}}, "v2hdr"},
		{"GET", "http://one.wild.app.test/", nil, "wild"},
		{"GET", "http://app.test/api/pinned", nil, "prefix"}, // priority=1 ranks it below the others
	} {
		resp, s := exchange(t, d, tc.method, tc.url, tc.header)
		got := ""
		if s != nil {
			got = s.Service
		}
		if got != tc.want {
			t.Errorf("%s %s %v: reached %q (%s), want %q", tc.method, tc.url, tc.header, got, resp.Status, tc.want)
		}
		if s == nil && resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s: status %s without reaching the app", tc.method, tc.url, resp.Status)
		}
	}
}

// A recipe whose only router goes to Traefik's own api@internal (the
// traefik recipe) loads; the direct ingress says it has nothing to serve,
// naming the router, when it is opened for readiness.
func TestDirectNothingRoutable(t *testing.T) {
	app := labelled(t, map[string][]string{"app": {
		"traefik.enable=true",
		"traefik.http.services.traefik.loadbalancer.server.port=web",
		"traefik.http.routers.traefik.rule=Host(`app.test`)",
		"traefik.http.routers.traefik.service=api@internal",
	}})
	_, err := newRouteTable(app)
	if err == nil {
		t.Fatal("a table was built")
	}
	wantContains(t, "error", err.Error(), "no service carries a traefik router", "router traefik of service app", "api@internal")
}

// A traefik service with loadbalancer.server.scheme=https is spoken to
// over TLS, as Traefik does.
func TestDirectHTTPSService(t *testing.T) {
	app := labelled(t, map[string][]string{
		"tlsapp": router("tlsapp", "Host(`app.test`)", "traefik.http.services.tlsapp.loadbalancer.server.scheme=https"),
	})
	d := newDirect(t, app, loopback())
	if resp, s := exchange(t, d, "GET", "http://app.test/secure", nil); s == nil || s.Service != "tlsapp" || s.Path != "/secure" {
		t.Errorf("GET over TLS to the task: %s %+v", resp.Status, s)
	}
}
