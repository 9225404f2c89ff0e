package ingress

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// tlsEcho is a TLS server that greets with the server name the client
// asked for, then echoes lines; it returns its port.
func tlsEcho(t *testing.T) int {
	t.Helper()
	cert := httptest.NewTLSServer(nil) // only for its self-signed certificate
	cfg := cert.TLS.Clone()
	cert.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				if tc.Handshake() != nil {
					return
				}
				io.WriteString(c, "sni "+tc.ConnectionState().ServerName+"\n")
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					io.WriteString(c, "echo: "+sc.Text()+"\n")
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// Through Traefik, a router is reached at its entrypoint's port (the
// operator's EntrypointPorts), a published port at its host port, on the
// host Traefik's HTTPS is reached at; for a router whose TLS Traefik
// terminates, the ingress speaks TLS with the rule's host name, so the
// tests get the plain stream. What it cannot reach is noted.
func TestTraefikStreams(t *testing.T) {
	tcpPort, udpPort, tlsPort, pubPort := tcpEcho(t, "hello\n"), udpEcho(t), tlsEcho(t), tcpEcho(t, "published\n")
	s := service("echo")
	s.Labels = map[string]string{
		"traefik.tcp.routers.line.rule":                        "HostSNI(`*`)",
		"traefik.tcp.routers.line.entrypoints":                 "line",
		"traefik.tcp.routers.line.service":                     "line",
		"traefik.tcp.services.line.loadbalancer.server.port":   "7000",
		"traefik.udp.routers.dgram.entrypoints":                "dgram",
		"traefik.udp.services.dgram.loadbalancer.server.port":  "7001",
		"traefik.tcp.routers.secure.rule":                      "HostSNI(`db.streams.test`)",
		"traefik.tcp.routers.secure.entrypoints":               "web-secure",
		"traefik.tcp.routers.secure.tls.certresolver":          "production",
		"traefik.tcp.routers.secure.service":                   "secure",
		"traefik.tcp.services.secure.loadbalancer.server.port": "7002",
		"traefik.tcp.routers.unknown.rule":                     "HostSNI(`*`)",
		"traefik.tcp.routers.unknown.entrypoints":              "nowhere",
		"traefik.tcp.routers.unknown.service":                  "other",
		"traefik.tcp.services.other.loadbalancer.server.port":  "7003",
	}
	s.Ports = []recipe.Port{{Target: 7004, Published: pubPort, Protocol: "tcp", Mode: "host"}, {Target: 7005, Protocol: "tcp", Mode: "host"}}
	ing, err := NewTraefik(TraefikOptions{Domain: "streams.test", ConnectTo: "127.0.0.1:443", Insecure: true,
		App: testApp("streams.test", s), EntrypointPorts: map[string]int{"line": tcpPort, "dgram": udpPort, "web-secure": tlsPort}})
	if err != nil {
		t.Fatal(err)
	}
	defer ing.Close()
	byPort := map[int]*Stream{}
	for _, st := range Streams(ing) {
		byPort[st.Port] = st
	}
	if len(byPort) != 4 || byPort[7000] == nil || byPort[7001] == nil || byPort[7002] == nil || byPort[7004] == nil {
		t.Fatalf("streams = %v", Streams(ing))
	}
	if want := "127.0.0.1:" + strconv.Itoa(tcpPort); byPort[7000].Remote != want {
		t.Errorf("remote = %q, want %q", byPort[7000].Remote, want)
	}
	wantContains(t, "notes", strings.Join(Notes(ing), "\n"), "tcp router unknown -> echo:7003 is not served: the port of entrypoint nowhere",
		"--entrypoint-port nowhere=PORT", "-> echo:7005 is not served: swarm picks its host port")

	ctx := context.Background()
	for port, tc := range map[int]StreamProbeOptions{
		7000: {Expect: "hello"},
		7001: {Send: "ping", Expect: "echo: ping"},
		7002: {Send: "x\n", Expect: "sni db.streams.test\necho: x"},
		7004: {Expect: "published"},
	} {
		tc.Timeout = 5 * time.Second
		if _, err := ProbeStream(ctx, byPort[port], tc); err != nil {
			t.Errorf("port %d: %v", port, err)
		}
	}
	// The tests' forwarder speaks the plain stream of the TLS router.
	c, err := net.Dial("tcp", byPort[7002].Local)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); line != "sni db.streams.test\n" {
		t.Errorf("through the forwarder: %q, %v", line, err)
	}
}

func TestSNIHost(t *testing.T) {
	for rule, want := range map[string]string{
		"HostSNI(`*`)":                       "app.test",
		"HostSNI(`db.app.test`)":             "db.app.test",
		"HostSNI( `a.test` , `b.test`)":      "a.test",
		"HostSNIRegexp(`^.+\\.app\\.test$`)": "app.test",
		"":                                   "app.test",
	} {
		if got := sniHost(rule, "app.test"); got != want {
			t.Errorf("sniHost(%q) = %q, want %q", rule, got, want)
		}
	}
}
