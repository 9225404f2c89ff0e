package ingress

import (
	"bufio"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeTraefik is a TLS server standing in for Traefik; its certificate
// covers example.com and *.example.com. It answers with the SNI name and
// Host header it saw.
func fakeTraefik(t *testing.T) (srv *httptest.Server, caFile string) {
	t.Helper()
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "sni=%s host=%s path=%s", r.TLS.ServerName, r.Host, r.URL.Path)
	}))
	// Refused certificates are the point of some tests: keep their
	// handshake errors out of the output.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, caFile
}

func newTraefik(t *testing.T, opts TraefikOptions) Ingress {
	t.Helper()
	tr, err := NewTraefik(opts)
	if err != nil {
		t.Fatalf("NewTraefik: %v", err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestTraefikTunnelWithCAFile(t *testing.T) {
	srv, ca := fakeTraefik(t)
	tr := newTraefik(t, TraefikOptions{Domain: "app.example.com", ConnectTo: srv.Listener.Addr().String(), CAFile: ca})
	if tr.BaseURL() != "https://app.example.com" {
		t.Errorf("BaseURL = %q", tr.BaseURL())
	}
	// TLS is end to end: the "traefik" sees the domain as SNI and Host.
	code, body := get(t, tr, tr.BaseURL()+"/hello")
	if code != http.StatusOK || body != "sni=app.example.com host=app.example.com path=/hello" {
		t.Errorf("GET = %d %q", code, body)
	}
	flags := tr.BrowserFlags()
	if !slices.Contains(flags, "--proxy-server="+tr.ProxyURL().String()) || !slices.Contains(flags, "--proxy-bypass-list=<-loopback>") {
		t.Errorf("BrowserFlags = %q, want the proxy flags", flags)
	}
	if slices.Contains(flags, "--ignore-certificate-errors") {
		t.Errorf("BrowserFlags = %q: certificate errors ignored without Insecure", flags)
	}
	if !slices.ContainsFunc(flags, func(f string) bool { return strings.HasPrefix(f, "--ignore-certificate-errors-spki-list=") }) {
		t.Errorf("BrowserFlags = %q, want the CA file's SPKI list", flags)
	}
}

// Without the CA the client refuses the certificate: the proxy does not
// terminate TLS, so the client's own checks apply.
func TestTraefikVerifiesCertificate(t *testing.T) {
	srv, _ := fakeTraefik(t)
	tr := newTraefik(t, TraefikOptions{Domain: "app.example.com", ConnectTo: srv.Listener.Addr().String()})
	_, err := tr.HTTPClient().Get(tr.BaseURL() + "/")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GET with an unknown CA: err = %v, want a certificate error", err)
	}
}

func TestTraefikInsecure(t *testing.T) {
	srv, _ := fakeTraefik(t)
	// Not even a name the certificate covers.
	tr := newTraefik(t, TraefikOptions{Domain: "app.staging.test", ConnectTo: srv.Listener.Addr().String(), Insecure: true})
	code, body := get(t, tr, tr.BaseURL()+"/")
	if code != http.StatusOK || !strings.Contains(body, "host=app.staging.test") {
		t.Errorf("GET = %d %q", code, body)
	}
	if !slices.Contains(tr.BrowserFlags(), "--ignore-certificate-errors") {
		t.Errorf("BrowserFlags = %q, want --ignore-certificate-errors", tr.BrowserFlags())
	}
}

func TestTraefikRefuses(t *testing.T) {
	srv, ca := fakeTraefik(t)
	tr := newTraefik(t, TraefikOptions{Domain: "app.example.com", ConnectTo: srv.Listener.Addr().String(), CAFile: ca})
	for _, url := range []string{"https://other.example.com/", "https://app.example.com:8443/"} {
		if _, err := tr.HTTPClient().Get(url); err == nil || !strings.Contains(err.Error(), "Forbidden") {
			t.Errorf("GET %s: err = %v, want a refused CONNECT", url, err)
		}
	}
	for _, url := range []string{"http://app.example.com/", "http://other.example.com/"} {
		if code, _ := get(t, tr, url); code != http.StatusForbidden {
			t.Errorf("GET %s = %d, want 403", url, code)
		}
	}
}

func TestTraefikUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tr := newTraefik(t, TraefikOptions{Domain: "app.example.com", ConnectTo: closed})
	if _, err := tr.HTTPClient().Get(tr.BaseURL()); err == nil || !strings.Contains(err.Error(), "Bad Gateway") {
		t.Errorf("GET with traefik down: err = %v, want Bad Gateway", err)
	}
}

// Close drops the tunnels that are open.
func TestTraefikCloseDropsTunnels(t *testing.T) {
	srv, _ := fakeTraefik(t)
	tr := newTraefik(t, TraefikOptions{Domain: "app.example.com", ConnectTo: srv.Listener.Addr().String()})
	conn, err := net.Dial("tcp", tr.ProxyURL().Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "CONNECT app.example.com:443 HTTP/1.1\r\nHost: app.example.com:443\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("read on a tunnel after Close: err = %v, want the tunnel closed", err)
	}
}

func TestNewTraefikErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, []byte("not a certificate\n"), 0o600)
	for name, tc := range map[string]struct {
		opts TraefikOptions
		want string
	}{
		"no domain":       {TraefikOptions{}, "domain"},
		"url as domain":   {TraefikOptions{Domain: "https://app.example.com"}, "domain"},
		"bad connect-to":  {TraefikOptions{Domain: "app.example.com", ConnectTo: "127.0.0.1"}, "connect-to"},
		"missing CA file": {TraefikOptions{Domain: "app.example.com", CAFile: "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"},
		"no certificate":  {TraefikOptions{Domain: "app.example.com", CAFile: empty}, "no PEM certificate"},
	} {
		if tr, err := NewTraefik(tc.opts); err == nil {
			tr.Close()
			t.Errorf("%s: accepted", name)
		} else {
			wantContains(t, name, err.Error(), tc.want)
		}
	}
}

// A run's dependencies' domains are tunnelled to Traefik too (by the name
// the client sends), and only those.
func TestTraefikDependencyDomains(t *testing.T) {
	srv, ca := fakeTraefik(t)
	tr := newTraefik(t, TraefikOptions{Domain: "app.example.com", ConnectTo: srv.Listener.Addr().String(), CAFile: ca, Also: []string{"SSO.example.com"}})
	code, body := get(t, tr, "https://sso.example.com/realms/test")
	if code != http.StatusOK || body != "sni=sso.example.com host=sso.example.com path=/realms/test" {
		t.Errorf("GET the dependency = %d %q", code, body)
	}
	if _, err := tr.HTTPClient().Get("https://other.example.com/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("another domain: err = %v, want a refused CONNECT", err)
	}
	if _, err := NewTraefik(TraefikOptions{Domain: "app.example.com", Also: []string{"not a domain"}}); err == nil {
		t.Error("a dependency domain that is no domain was accepted")
	}
}
