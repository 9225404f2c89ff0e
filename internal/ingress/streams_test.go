package ingress

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// tcpEcho serves a banner, then echoes each line back; it returns its port.
func tcpEcho(t *testing.T, banner string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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
				io.WriteString(c, banner)
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					io.WriteString(c, "echo: "+sc.Text()+"\n")
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// udpEcho answers each datagram with "echo: " and the datagram.
func udpEcho(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("echo: "), buf[:n]...), from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// freePort is a port nothing listens on (it was just released).
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// streamApp is an app whose echo service carries a TCP and a UDP router.
func streamApp(tcpPort, udpPort int) *recipe.App {
	s := service("echo")
	s.Labels = map[string]string{
		"traefik.enable":                                      "true",
		"traefik.tcp.routers.line.rule":                       "HostSNI(`*`)",
		"traefik.tcp.routers.line.entrypoints":                "line",
		"traefik.tcp.services.line.loadbalancer.server.port":  strconv.Itoa(tcpPort),
		"traefik.udp.routers.dgram.entrypoints":               "dgram",
		"traefik.udp.services.dgram.loadbalancer.server.port": strconv.Itoa(udpPort),
	}
	return testApp("streams.test", s)
}

func streamsOf(t *testing.T, ing Ingress) map[string]*Stream {
	t.Helper()
	out := map[string]*Stream{}
	for _, s := range Streams(ing) {
		out[s.Protocol] = s
	}
	if out["tcp"] == nil || out["udp"] == nil {
		t.Fatalf("streams = %v, want a tcp and a udp one", Streams(ing))
	}
	return out
}

// An app reached over TCP and UDP only gets a direct ingress that serves
// both through local forwarders, and no HTTP.
func TestStreamForwarders(t *testing.T) {
	ing := newDirect(t, streamApp(tcpEcho(t, "hello\n"), udpEcho(t)), loopback())
	if ServesHTTP(ing) {
		t.Error("ServesHTTP = true for an app without HTTP routers")
	}
	if status, body := get(t, ing, "http://streams.test/"); status != http.StatusNotFound || !strings.HasPrefix(body, "recipe-test ingress:") {
		t.Errorf("GET / = %d %q, want the ingress's 404", status, body)
	}
	st := streamsOf(t, ing)
	if st["tcp"].Service != "teststack_echo" || st["tcp"].Name() != "tcp echo:"+strconv.Itoa(st["tcp"].Port) {
		t.Errorf("tcp stream = %+v (%s)", st["tcp"], st["tcp"].Name())
	}

	c, err := net.Dial("tcp", st["tcp"].Local)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); line != "hello\n" {
		t.Fatalf("banner = %q, %v", line, err)
	}
	io.WriteString(c, "one\n")
	if line, err := r.ReadString('\n'); line != "echo: one\n" {
		t.Fatalf("echo = %q, %v", line, err)
	}
	// A half close reaches the app, whose answer to it (closing) comes back.
	c.(*net.TCPConn).CloseWrite()
	if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
		t.Errorf("after half close: %q, %v", rest, err)
	}

	u, err := net.Dial("udp", st["udp"].Local)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	u.SetDeadline(time.Now().Add(5 * time.Second))
	for _, msg := range []string{"a", "b"} {
		io.WriteString(u, msg)
		buf := make([]byte, 100)
		n, err := u.Read(buf)
		if got := string(buf[:n]); got != "echo: "+msg {
			t.Fatalf("udp answer = %q, %v", got, err)
		}
	}

	// Closing the ingress stops the forwarders.
	ing.Close()
	if c2, err := net.DialTimeout("tcp", st["tcp"].Local, time.Second); err == nil {
		c2.Close()
		t.Error("the TCP forwarder still accepts after Close")
	}
}

func TestProbeStream(t *testing.T) {
	ctx := context.Background()
	quick := func(o StreamProbeOptions) StreamProbeOptions {
		o.Timeout, o.Interval = 1500*time.Millisecond, 100*time.Millisecond
		return o
	}
	live := streamsOf(t, newDirect(t, streamApp(tcpEcho(t, "hello\n"), udpEcho(t)), loopback()))
	dead := streamsOf(t, newDirect(t, streamApp(freePort(t, "tcp"), freePort(t, "udp")), loopback()))
	for name, tc := range map[string]struct {
		s      *Stream
		opts   StreamProbeOptions
		answer string
		err    []string
	}{
		"tcp connect":           {s: live["tcp"]},
		"tcp banner":            {s: live["tcp"], opts: StreamProbeOptions{Expect: "hello"}, answer: `"hello\n"`},
		"tcp send and expect":   {s: live["tcp"], opts: StreamProbeOptions{Send: "ping\n", Expect: "echo: ping"}, answer: `"hello\necho: ping\n"`},
		"udp send and expect":   {s: live["udp"], opts: StreamProbeOptions{Send: "ping", Expect: "echo: ping"}, answer: `"echo: ping"`},
		"tcp wrong banner":      {s: live["tcp"], opts: StreamProbeOptions{Expect: "welcome"}, err: []string{"app not ready", `expecting "welcome"`, `answered "hello\n"`}},
		"tcp refused":           {s: dead["tcp"], err: []string{"app not ready", "tcp echo:", "connection refused"}},
		"udp nothing listening": {s: dead["udp"], opts: StreamProbeOptions{Send: "ping", Expect: "echo"}, err: []string{"app not ready", "udp echo:", "no answer"}},
		"udp needs send":        {s: live["udp"], err: []string{"a UDP probe needs something to send"}},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := ProbeStream(ctx, tc.s, quick(tc.opts))
			if len(tc.err) == 0 {
				if err != nil || res.Answer != tc.answer {
					t.Fatalf("ProbeStream = %+v, %v; want answer %s", res, err, tc.answer)
				}
				return
			}
			if err == nil {
				t.Fatalf("ProbeStream passed: %+v", res)
			}
			wantContains(t, "error", err.Error(), tc.err...)
		})
	}
}

// The streams follow the same address checks as HTTP: never an overlay
// address from the host.
func TestStreamRefusesOverlayAddress(t *testing.T) {
	overlay := &fakeResolver{addr: func(string, int) (netip.Addr, error) { return netip.MustParseAddr("10.0.1.5"), nil }}
	st := streamsOf(t, newDirect(t, streamApp(7000, 7001), overlay))
	_, err := st["tcp"].Dial(context.Background())
	if err == nil || !strings.Contains(err.Error(), "overlay") {
		t.Fatalf("Dial = %v, want a refusal of the overlay address", err)
	}
}

// Ways in that cannot be served are noted; an app with neither HTTP
// routers nor streams still gets no ingress.
func TestStreamNotesAndNoWayIn(t *testing.T) {
	s := service("echo")
	s.Labels = map[string]string{
		"traefik.tcp.routers.ext.rule":           "HostSNI(`*`)",
		"traefik.tcp.routers.ext.service":        "other@file",
		"traefik.udp.routers.noport.entrypoints": "x",
	}
	_, err := NewDirect(context.Background(), testApp("streams.test", s), loopback(), nil)
	if !errors.Is(err, errNoRouters) {
		t.Fatalf("NewDirect = %v, want errNoRouters", err)
	}
	app := streamApp(7000, 7001)
	app.Services[0].Labels["traefik.tcp.routers.ext.rule"] = "HostSNI(`*`)"
	app.Services[0].Labels["traefik.tcp.routers.ext.service"] = "other@file"
	notes := strings.Join(Notes(newDirect(t, app, loopback())), "\n")
	wantContains(t, "notes", notes, "tcp router ext -> other@file is not served")
}
