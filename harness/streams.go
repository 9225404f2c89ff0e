package harness

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// StreamDeadline is the deadline a connection from DialTCP or DialUDP
// starts with, so that a read the app never answers fails the test instead
// of hanging it; SetDeadline sets another.
const StreamDeadline = time.Minute

// DialTCP connects to the app's TCP way in that reaches port of a compose
// service (a Traefik TCP router or a published port; port 0 = the
// service's only one), through the run's ingress: bytes go to a task of
// the service as Traefik would send them (a router with TLS termination
// gets plain TCP here, as the direct ingress serves plain HTTP). The
// connection is closed when the test ends.
func (e *Env) DialTCP(t testing.TB, service string, port int) net.Conn {
	t.Helper()
	return e.dialStream(t, "tcp", service, port)
}

// DialUDP returns a UDP socket connected to the app's UDP way in that
// reaches port of a compose service (port 0 = the service's only one),
// through the run's ingress: each Write is one datagram to a task of the
// service, each Read one datagram of its answers. Closed when the test
// ends.
func (e *Env) DialUDP(t testing.TB, service string, port int) net.Conn {
	t.Helper()
	return e.dialStream(t, "udp", service, port)
}

func (e *Env) dialStream(t testing.TB, proto, service string, port int) net.Conn {
	t.Helper()
	s, err := e.stream(proto, service, port)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	ctx, cancel := context.WithTimeout(testContext(t), 10*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, proto, s.Addr)
	if err != nil {
		t.Fatalf("harness: dialing %s (%s) at the ingress's forwarder %s: %v", s.Route, proto, s.Addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(StreamDeadline))
	return conn
}

// Stream returns the facts of the app's TCP or UDP way in that reaches
// port of a compose service (port 0 = the service's only one of the
// protocol), failing the test when there is none or several.
func (e *Env) Stream(t testing.TB, proto, service string, port int) Stream {
	t.Helper()
	s, err := e.stream(proto, service, port)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	return s
}

func (e *Env) stream(proto, service string, port int) (Stream, error) {
	proto = strings.ToLower(proto)
	var found []Stream
	for _, s := range e.Streams {
		if s.Protocol == proto && s.Service == service && (port == 0 || s.Port == port) {
			found = append(found, s)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		var ports []string
		for _, s := range found {
			ports = append(ports, fmt.Sprint(s.Port))
		}
		return Stream{}, fmt.Errorf("service %s has %s ways in on ports %s: name the port", service, proto, strings.Join(ports, ", "))
	}
	var have []string
	for _, s := range e.Streams {
		have = append(have, fmt.Sprintf("%s %s:%d", s.Protocol, s.Service, s.Port))
	}
	want := fmt.Sprintf("%s %s", proto, service)
	if port != 0 {
		want += fmt.Sprintf(":%d", port)
	}
	if len(have) == 0 {
		have = []string{"none"}
	}
	return Stream{}, fmt.Errorf("recipe %s has no %s way in (a Traefik %s router or a published port) served by this run's ingress (it has: %s)",
		e.Recipe, want, strings.ToUpper(proto), strings.Join(have, ", "))
}
