// Package streams is a fixture: recipe tests of the streams recipe, an app
// reached over TCP and UDP only, for the runner's tests.
package streams

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// readLine reads one line of a TCP stream, failing the test otherwise.
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading a line: %q, %v", line, err)
	}
	return strings.TrimRight(line, "\n")
}

// exchange sends one datagram and returns the answer.
func exchange(t *testing.T, c net.Conn, msg string) string {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatalf("sending %q: %v", msg, err)
	}
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no answer to %q: %v", msg, err)
	}
	return string(buf[:n])
}

// The TCP router's stream greets with the banner and echoes lines.
func TestTCPRouterBannerAndEcho(t *testing.T) {
	env := harness.Load(t)
	r := bufio.NewReader(env.DialTCP(t, "app", 0))
	c := env.DialTCP(t, "app", 7000)
	rc := bufio.NewReader(c)
	if got := readLine(t, rc); !strings.HasPrefix(got, "streams ready") {
		t.Fatalf("banner = %q", got)
	}
	fmt.Fprintf(c, "hello %s\n", env.Stack)
	if got := readLine(t, rc); got != "echo: hello "+env.Stack {
		t.Errorf("echo = %q", got)
	}
	// A second connection is served at the same time.
	if got := readLine(t, r); !strings.HasPrefix(got, "streams ready") {
		t.Errorf("second connection's banner = %q", got)
	}
}

// The UDP router's stream echoes datagrams, and they reach the very process
// behind the TCP router: its COUNT grows by what was sent.
func TestUDPRouterReachesTheSameApp(t *testing.T) {
	env := harness.Load(t)
	c := env.DialTCP(t, "app", 0)
	r := bufio.NewReader(c)
	readLine(t, r) // banner
	count := func() int {
		fmt.Fprintln(c, "COUNT")
		var n int
		if _, err := fmt.Sscanf(readLine(t, r), "count: %d", &n); err != nil {
			t.Fatalf("COUNT: %v", err)
		}
		return n
	}
	before := count()
	u := env.DialUDP(t, "app", 0)
	for i := range 3 {
		msg := fmt.Sprintf("datagram %d of %s", i, env.Stack)
		if got := exchange(t, u, msg); got != "echo: "+msg {
			t.Fatalf("answer = %q", got)
		}
	}
	if after := count(); after < before+3 {
		t.Errorf("COUNT went from %d to %d after 3 datagrams", before, after)
	}
}

// The published service, which Traefik does not route, is reached at the
// ports it publishes, over both protocols.
func TestPublishedPorts(t *testing.T) {
	env := harness.Load(t)
	if s := env.Stream(t, "tcp", "published", 7000); !strings.Contains(s.Route, "published in host mode") {
		t.Errorf("route = %q", s.Route)
	}
	c := env.DialTCP(t, "published", 7000)
	if got := readLine(t, bufio.NewReader(c)); !strings.HasPrefix(got, "streams ready") {
		t.Fatalf("banner = %q", got)
	}
	if got := exchange(t, env.DialUDP(t, "published", 7001), "ping"); got != "echo: ping" {
		t.Errorf("udp answer = %q", got)
	}
}
