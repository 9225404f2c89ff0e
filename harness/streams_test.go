package harness

import (
	"bufio"
	"io"
	"net"
	"testing"
)

// DialTCP and DialUDP reach the ingress's forwarder the facts name for a
// service and port; a way in the run does not serve fails the test,
// naming what there is.
func TestDialStreams(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "banner\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "echo: "+line)
	}()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		buf := make([]byte, 100)
		n, from, err := pc.ReadFrom(buf)
		if err == nil {
			pc.WriteTo(append([]byte("echo: "), buf[:n]...), from)
		}
	}()
	useFacts(t, &Facts{Recipe: "x", Domain: "x.test", BaseURL: "http://x.test", ProxyURL: "http://127.0.0.1:9",
		Streams: []Stream{
			{Protocol: "tcp", Service: "echo", Port: 7000, Route: "tcp router line -> echo:7000", Addr: ln.Addr().String()},
			{Protocol: "udp", Service: "echo", Port: 7001, Route: "udp router dgram -> echo:7001", Addr: pc.LocalAddr().String()},
			{Protocol: "tcp", Service: "multi", Port: 1, Addr: "127.0.0.1:9"},
			{Protocol: "tcp", Service: "multi", Port: 2, Addr: "127.0.0.1:9"},
		}})
	env := Load(t)

	c := env.DialTCP(t, "echo", 0)
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); line != "banner\n" {
		t.Fatalf("banner = %q, %v", line, err)
	}
	io.WriteString(c, "hi\n")
	if line, err := r.ReadString('\n'); line != "echo: hi\n" {
		t.Fatalf("answer = %q, %v", line, err)
	}

	u := env.DialUDP(t, "echo", 7001)
	io.WriteString(u, "ping")
	buf := make([]byte, 100)
	if n, err := u.Read(buf); string(buf[:n]) != "echo: ping" {
		t.Fatalf("udp answer = %q, %v", buf[:n], err)
	}

	if s := env.Stream(t, "TCP", "multi", 2); s.Port != 2 {
		t.Errorf("Stream(multi, 2) = %+v", s)
	}
	wantFailure(t, capture(t, func(t testing.TB) { env.DialTCP(t, "multi", 0) }), "service multi has tcp ways in on ports 1, 2: name the port")
	wantFailure(t, capture(t, func(t testing.TB) { env.DialUDP(t, "echo", 7000) }), "recipe x has no udp echo:7000 way in", "it has: tcp echo:7000, udp echo:7001")
	wantFailure(t, capture(t, func(t testing.TB) { env.DialTCP(t, "web", 0) }), "no tcp web way in")
}
