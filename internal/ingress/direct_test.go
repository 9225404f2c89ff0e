package ingress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// webAndAPI is an app with a catch-all router, an /api router on another
// service and a second host.
func webAndAPI(t *testing.T) *recipe.App {
	return testApp("app.test",
		service("web", recipe.Router{Name: "web", Rule: "Host(`app.test`)", Hosts: []string{"app.test"}, Port: backend(t, "web")}),
		service("api", recipe.Router{Name: "api", Rule: "Host(`app.test`) && PathPrefix(`/api`)",
			Hosts: []string{"app.test"}, PathPrefix: []string{"/api"}, Port: backend(t, "api")}),
		service("admin", recipe.Router{Name: "admin", Rule: "Host(`admin.app.test`)", Hosts: []string{"admin.app.test"}, Port: backend(t, "admin")}),
	)
}

func TestDirectRoutesByHostAndPath(t *testing.T) {
	res := loopback()
	d := newDirect(t, webAndAPI(t), res)
	if d.BaseURL() != "http://app.test" {
		t.Errorf("BaseURL = %q", d.BaseURL())
	}
	for _, tc := range []struct{ url, want string }{
		{"http://app.test/", "backend=web host=app.test path=/ xfh=app.test"},
		{"http://app.test/api/items", "backend=api host=app.test path=/api/items"},
		{"http://APP.test/about", "backend=web host=APP.test path=/about"},
		{"http://admin.app.test/api", "backend=admin host=admin.app.test path=/api"},
	} {
		code, body := get(t, d, tc.url)
		if code != http.StatusOK || !strings.HasPrefix(body, tc.want) {
			t.Errorf("GET %s = %d %q, want 200 %q", tc.url, code, body, tc.want)
		}
	}
	// Within the cache's lifetime each service was resolved once.
	if n := res.count("teststack_web"); n != 1 {
		t.Errorf("web resolved %d times, want 1 (cached)", n)
	}
}

func TestDirectRefuses(t *testing.T) {
	d := newDirect(t, webAndAPI(t), loopback())
	local := httptest.NewServer(echo("local"))
	defer local.Close()
	for _, url := range []string{
		"http://elsewhere.test/",
		local.URL + "/", // the browser must not reach local services either
		"http://app.test:8080/",
	} {
		code, body := get(t, d, url)
		if code != http.StatusForbidden || !strings.Contains(body, "recipe-test ingress") {
			t.Errorf("GET %s = %d %q, want 403 from the ingress", url, code, body)
		}
	}
	if _, err := d.HTTPClient().Get("https://app.test/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("https in direct mode: err = %v, want a refused CONNECT", err)
	}
}

func TestDirectNoRouter(t *testing.T) {
	app := testApp("app.test", service("api", recipe.Router{Name: "api", Rule: "Host(`app.test`) && PathPrefix(`/api`)",
		Hosts: []string{"app.test"}, PathPrefix: []string{"/api"}, Port: backend(t, "api")}))
	d := newDirect(t, app, loopback())
	code, body := get(t, d, "http://app.test/nothing/here")
	if code != http.StatusNotFound {
		t.Errorf("status = %d, want 404", code)
	}
	wantContains(t, "404 body", body, "app.test", "/nothing/here", "no traefik router")
}

// HTTP inside a CONNECT tunnel to <domain>:80 is routed request by request.
func TestDirectConnectTunnel(t *testing.T) {
	d := newDirect(t, webAndAPI(t), loopback())
	conn, err := net.Dial("tcp", d.ProxyURL().Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	fmt.Fprint(conn, "CONNECT app.test:80 HTTP/1.1\r\nHost: app.test:80\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	for path, want := range map[string]string{"/": "backend=web", "/api/x": "backend=api"} {
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: app.test\r\n\r\n", path)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("GET %s in the tunnel: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(string(b), want+" host=app.test path="+path) {
			t.Errorf("GET %s in the tunnel = %q, want %s", path, b, want)
		}
	}
}

// A cached task address that stops answering is forgotten and the service
// resolved again, within the same request.
func TestDirectReresolvesAfterDialError(t *testing.T) {
	old := serveOn(t, "127.0.0.2:0", "old")
	port := old.Listener.Addr().(*net.TCPAddr).Port
	app := testApp("app.test", service("web", recipe.Router{Name: "web", Rule: "Host(`app.test`)", Hosts: []string{"app.test"}, Port: port}))
	addrs := []string{"127.0.0.2", "127.0.0.3"}
	res := &fakeResolver{addr: func(_ string, call int) (netip.Addr, error) {
		return netip.MustParseAddr(addrs[min(call, len(addrs))-1]), nil
	}}
	d := newDirect(t, app, res)
	if _, body := get(t, d, "http://app.test/"); !strings.HasPrefix(body, "backend=old") {
		t.Fatalf("first GET = %q", body)
	}
	old.Close() // the task is replaced on another address
	serveOn(t, fmt.Sprintf("127.0.0.3:%d", port), "new")
	if code, body := get(t, d, "http://app.test/"); code != http.StatusOK || !strings.HasPrefix(body, "backend=new") {
		t.Fatalf("GET after the task moved = %d %q, want the new task", code, body)
	}
	if n := res.count("teststack_web"); n != 2 {
		t.Errorf("resolved %d times, want 2", n)
	}
}

func serveOn(t *testing.T, addr, name string) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(echo(name))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestDirectBadGateway(t *testing.T) {
	for name, tc := range map[string]struct {
		addr func(string, int) (netip.Addr, error)
		want []string
	}{
		"overlay address": {func(string, int) (netip.Addr, error) { return netip.MustParseAddr("10.0.3.4"), nil },
			[]string{"10.0.3.4", "overlay", "teststack_web"}},
		"no task": {func(string, int) (netip.Addr, error) { return netip.Addr{}, errors.New("no running task") },
			[]string{"teststack_web", "no running task"}},
	} {
		t.Run(name, func(t *testing.T) {
			app := testApp("app.test", service("web", recipe.Router{Name: "web", Rule: "Host(`app.test`)", Hosts: []string{"app.test"}, Port: 8080}))
			d := newDirect(t, app, &fakeResolver{addr: tc.addr})
			code, body := get(t, d, "http://app.test/")
			if code != http.StatusBadGateway {
				t.Errorf("status = %d, want 502", code)
			}
			wantContains(t, "502 body", body, tc.want...)
		})
	}
}

func TestDirectCloseStopsProxy(t *testing.T) {
	d := newDirect(t, webAndAPI(t), loopback())
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", d.ProxyURL().Host, time.Second); err == nil {
		t.Error("the proxy still accepts connections after Close")
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestBrowserFlagsDirect(t *testing.T) {
	d := newDirect(t, webAndAPI(t), loopback())
	want := []string{"--proxy-server=" + d.ProxyURL().String(), "--proxy-bypass-list=<-loopback>"}
	if got := d.BrowserFlags(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("BrowserFlags = %q, want %q", got, want)
	}
}

// A run's dependencies are reached by their own domains through the same
// proxy: a browser sent from the app to its identity provider and back
// follows both hops, each to the right tasks; other hosts stay refused.
func TestDirectRoutesDependencies(t *testing.T) {
	idpPort := backend(t, "idp")
	app := testApp("app.test", service("web", recipe.Router{Name: "web", Rule: "Host(`app.test`)", Hosts: []string{"app.test"}, Port: backend(t, "web")}))
	// The app sends /login to the provider, which sends the browser back.
	loginSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://idp.test/authorize?redirect_uri=http://app.test/callback", http.StatusFound)
	}))
	t.Cleanup(loginSrv.Close)
	app.Services = append(app.Services, service("login", recipe.Router{Name: "login", Rule: "Host(`app.test`) && Path(`/login`)",
		Hosts: []string{"app.test"}, Paths: []string{"/login"}, Port: loginSrv.Listener.Addr().(*net.TCPAddr).Port}))
	idp := &recipe.App{Recipe: "idp", Domain: "idp.test", Stack: "idpstack", Services: []recipe.Service{
		{Name: "op", FullName: "idpstack_op", Labels: map[string]string{}, Routers: []recipe.Router{{Name: "op", Rule: "Host(`idp.test`)", Hosts: []string{"idp.test"}, Port: idpPort}}},
	}}
	res := loopback()
	d, err := NewDirect(context.Background(), app, res, slog.New(slog.DiscardHandler), idp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if d.BaseURL() != "http://app.test" {
		t.Errorf("BaseURL = %q: the app's, not a dependency's", d.BaseURL())
	}
	code, body := get(t, d, "http://app.test/login")
	if code != http.StatusOK || !strings.HasPrefix(body, "backend=idp host=idp.test path=/authorize") {
		t.Errorf("GET /login, followed = %d %q, want the provider's answer", code, body)
	}
	if code, body := get(t, d, "http://app.test/"); code != http.StatusOK || !strings.HasPrefix(body, "backend=web") {
		t.Errorf("GET app.test = %d %q", code, body)
	}
	if n := res.count("idpstack_op"); n != 1 {
		t.Errorf("the provider's service was resolved %d times, want 1", n)
	}
	if code, _ := get(t, d, "http://other.test/"); code != http.StatusForbidden {
		t.Errorf("a host of neither app: %d, want 403", code)
	}
	// A dependency this ingress cannot route to is an error naming it.
	bare := &recipe.App{Recipe: "db", Domain: "db.test", Stack: "dbstack", Services: []recipe.Service{{Name: "db", FullName: "dbstack_db", Labels: map[string]string{}}}}
	if _, err := NewDirect(context.Background(), app, res, nil, bare); err == nil || !strings.Contains(err.Error(), "db.test (of app.test)") {
		t.Errorf("a dependency without routers: err = %v", err)
	}
}
