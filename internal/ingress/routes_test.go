package ingress

import (
	"errors"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func TestRouteTableMatch(t *testing.T) {
	long := service("long", recipe.Router{Name: "long", Rule: "Host(`app.test`) && PathPrefix(`/api/admin`)",
		Hosts: []string{"app.test"}, PathPrefix: []string{"/api/admin"}})
	pinned := service("pinned", recipe.Router{Name: "pinned", Rule: "Host(`app.test`) && PathPrefix(`/pin`)",
		Hosts: []string{"app.test"}, PathPrefix: []string{"/pin"}, Priority: 1000})
	app := testApp("app.test",
		// As in Traefik, this catch-all's long rule would outrank the
		// shorter path routers: its priority label puts it last.
		service("web", recipe.Router{Name: "web", Rule: "Host(`app.test`) || Host(`www.app.test`) || Host(`App.Alias.Test`)",
			Hosts: []string{"app.test", "www.app.test", "App.Alias.Test"}, Priority: 1}),
		service("api", recipe.Router{Name: "api", Rule: "Host(`app.test`) && PathPrefix(`/api`)",
			Hosts: []string{"app.test"}, PathPrefix: []string{"/api"}}),
		long, pinned,
		service("exact", recipe.Router{Name: "exact", Rule: "Host(`app.test`) && Path(`/exact`)",
			Hosts: []string{"app.test"}, Paths: []string{"/exact"}}),
		service("items", recipe.Router{Name: "items", Rule: "Host(`app.test`) && Path(`/items/{id:[0-9]+}`)",
			Hosts: []string{"app.test"}, Paths: []string{"/items/{id:[0-9]+}"}}),
		service("re", recipe.Router{Name: "re", Rule: "Host(`app.test`) && PathRegexp(`^/v[0-9]+/`)",
			Hosts: []string{"app.test"}}),
		service("v2", recipe.Router{Name: "v2", Rule: "HostRegexp(`{sub:[a-z]+}.tenants.test`)",
			HostRegexps: []string{"{sub:[a-z]+}.tenants.test"}}),
		service("v3", recipe.Router{Name: "v3", Rule: "HostRegexp(`^[a-z]{2,3}\\.v3\\.test$`)",
			HostRegexps: []string{`^[a-z]{2,3}\.v3\.test$`}}),
		service("hostless", recipe.Router{Name: "hostless", Rule: "PathPrefix(`/static`)",
			PathPrefix: []string{"/static"}}),
	)
	table, err := newRouteTable(app)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ host, path, want string }{
		{"app.test", "/", "web"},
		{"www.app.test", "/anything", "web"},
		{"app.alias.test", "/", "web"}, // hosts match without regard to case
		{"app.test", "/api", "api"},
		{"app.test", "/api/items", "api"},
		{"app.test", "/apix", "api"},             // PathPrefix is a string prefix, as in traefik
		{"app.test", "/api/admin/users", "long"}, // the longer rule wins
		{"app.test", "/pin", "pinned"},           // explicit priority label
		{"app.test", "/exact", "exact"},
		{"app.test", "/exact/more", "web"},
		{"app.test", "/items/42", "items"},
		{"app.test", "/items/abc", "web"},
		{"app.test", "/v2/things", "re"},
		{"app.test", "/static/app.css", "hostless"},
		{"www.app.test", "/static/app.css", "hostless"}, // no host matcher: any host the run serves
		{"blue.tenants.test", "/", "v2"},
		{"ab.v3.test", "/", "v3"},
		{"elsewhere.test", "/", ""},
		{"blue.green.tenants.test", "/", ""},
		{"abcd.v3.test", "/", ""},
	} {
		r, ok := table.match(tc.host, tc.path)
		if got := r.router; got != tc.want || ok != (tc.want != "") {
			t.Errorf("match(%s, %s) = %q, %v; want %q", tc.host, tc.path, got, ok, tc.want)
		}
		if known := table.knows(tc.host); known != (tc.want != "") {
			t.Errorf("knows(%s) = %v", tc.host, known)
		}
	}
}

func TestRouteTableErrors(t *testing.T) {
	if _, err := newRouteTable(testApp("app.test", service("db"))); !errors.Is(err, errNoRouters) {
		t.Errorf("no routers: err = %v, want errNoRouters", err)
	}
	bad := testApp("app.test", service("web", recipe.Router{Name: "broken", Rule: "HostRegexp(`^(x`)", HostRegexps: []string{"^(x"}}))
	_, err := newRouteTable(bad)
	if err == nil {
		t.Fatal("a bad HostRegexp was accepted")
	}
	wantContains(t, "error", err.Error(), "router broken", "service web")
}

func TestCheckTaskAddr(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1": true, "172.18.0.5": true, "192.168.1.2": true,
		"10.0.1.7": false, "8.8.8.8": false, "0.0.0.0": false,
	} {
		if err := checkTaskAddr(netip.MustParseAddr(addr), nil); (err == nil) != ok {
			t.Errorf("checkTaskAddr(%s) = %v", addr, err)
		}
	}
}

// The example fixture recipe's labels give one router for the domain, to
// the app service's port 8080, probed at /.
func TestExampleRecipeRoutes(t *testing.T) {
	r, err := recipe.LoadDir(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(recipe.ResolveOptions{Domain: "example.ingress.test"})
	if err != nil {
		t.Fatal(err)
	}
	table, err := newRouteTable(app)
	if err != nil {
		t.Fatal(err)
	}
	rt, ok := table.match("example.ingress.test", "/api/info")
	if !ok || rt.service != app.Stack+"_app" || rt.port != 8080 {
		t.Errorf("route = %+v, %v; want service %s_app port 8080", rt, ok, app.Stack)
	}
	if p := DefaultProbePath(app); p != "/" {
		t.Errorf("DefaultProbePath = %q, want /", p)
	}
}

func TestDefaultProbePath(t *testing.T) {
	api := testApp("app.test", service("api", recipe.Router{Name: "api", Rule: "Host(`app.test`) && PathPrefix(`/api`)",
		Hosts: []string{"app.test"}, PathPrefix: []string{"/api"}}))
	if p := DefaultProbePath(api); p != "/api" {
		t.Errorf("PathPrefix(/api) router: DefaultProbePath = %q, want /api", p)
	}
	if p := DefaultProbePath(testApp("app.test", service("db"))); p != "/" {
		t.Errorf("no router: DefaultProbePath = %q, want /", p)
	}
}
