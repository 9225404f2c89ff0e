package runner

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// loopbackTasks resolves every service to 127.0.0.1, where the test's
// servers listen.
type loopbackTasks struct{}

func (loopbackTasks) TaskAddress(context.Context, string) (netip.Addr, error) {
	return netip.MustParseAddr("127.0.0.1"), nil
}

// bannerServer greets each connection with banner; it returns its port.
func bannerServer(t *testing.T, banner string) int {
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
			io.WriteString(c, banner)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// readyStreams decides per stream, without a swarm: probed as recipe.toml
// says (or by connecting), left out with the reason (skip, no replica, a
// UDP stream without [[probe.udp]]), and failing on the first stream that
// is not ready.
func TestReadyStreamsDecisions(t *testing.T) {
	banner := bannerServer(t, "hello\n")
	// A port nothing listens on: the idle service runs no replica, and
	// the skipped one is never dialed.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	svc := func(name string, replicas uint64, labels map[string]string, ports ...recipe.Port) recipe.Service {
		return recipe.Service{Name: name, FullName: "st_" + name, Replicas: replicas, Labels: labels, Ports: ports}
	}
	app := &recipe.App{Recipe: "st", Domain: "st.test", Stack: "st", Services: []recipe.Service{
		svc("app", 1, map[string]string{
			"traefik.tcp.routers.a.rule": "HostSNI(`*`)", "traefik.tcp.services.a.loadbalancer.server.port": strconv.Itoa(banner),
			"traefik.udp.routers.u.entrypoints": "u", "traefik.udp.services.u.loadbalancer.server.port": "9",
		}),
		svc("idle", 0, nil, recipe.Port{Target: dead, Protocol: "tcp", Mode: "host"}),
		svc("skipped", 1, nil, recipe.Port{Target: dead, Protocol: "tcp", Mode: "host"}),
	}}
	run := func(e *enrollment.Enrollment) (string, error) {
		ing, err := ingress.NewDirect(context.Background(), app, loopbackTasks{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ing.Close()
		var out bytes.Buffer
		r := &Run{cfg: config{deploy: Deploy{Timeout: time.Second}, ingress: Ingress{Kind: "direct"}}, App: app, Deployed: app,
			Ingress: ing, Enrollment: e, stageOut: &out}
		var rec Record
		err = r.readyStreams(context.Background(), &rec)
		return out.String() + "note: " + rec.note, err
	}
	e := &enrollment.Enrollment{File: "recipe.toml", Probe: enrollment.Probe{TCP: []enrollment.StreamProbe{
		{Service: "app", Expect: "hello"}, {Service: "skipped", Skip: "answers only after a login"}}}}
	out, err := run(e)
	if err != nil {
		t.Fatalf("readyStreams: %v\n%s", err, out)
	}
	for _, want := range []string{"ready: tcp router a -> app:" + strconv.Itoa(banner) + ` answered "hello\n"`,
		"udp router u -> app:9 not probed: UDP has no connection", "not probed: service idle runs no replica",
		"-> skipped:" + strconv.Itoa(dead) + " not probed: answers only after a login (recipe.toml)",
		"note: udp router u -> app:9 not probed: no [[probe.udp]] in recipe.toml"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Without the skip, the dead port fails readiness, naming it.
	e.Probe.TCP = e.Probe.TCP[:1]
	out, err = run(e)
	if err == nil || !strings.Contains(err.Error(), "-> skipped:"+strconv.Itoa(dead)) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("readyStreams = %v, want the skipped service's port refused\n%s", err, out)
	}
}
