package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// An app reached over TCP and UDP only (a Traefik TCP router with
// HostSNI(`*`), a UDP router, and a service publishing both in host mode)
// installs on the real swarm: readiness probes each stream at its task
// through the direct ingress (the banner, a UDP echo, a TCP accept) instead
// of failing for want of an HTTP router, and the recipe's tests reach every
// stream through the harness.
func TestInstallOverTCPAndUDP(t *testing.T) {
	testenv.FixtureImage(t, "streams", "1")
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "streams"), Enrollment: enrollmentDir(t, "streams")},
		Stages: []string{StageInstall, StageCustom}})
	if res.Status != results.Pass {
		t.Fatalf("status %s stages %+v\n%s", res.Status, res.Stages, progress)
	}
	install := wantStage(t, res, "install", results.Pass)
	for _, want := range []string{
		"ready: tcp router " + res.Stack + "-line -> app:7000 answered \"streams ready",
		"ready: udp router " + res.Stack + "-dgram -> app:7001 answered \"echo: ping\"",
		"ready: udp port ", "published in host mode (host port picked by swarm) -> published:7001 answered \"echo: ping\"",
		"published in host mode (host port picked by swarm) -> published:7000 accepted a connection",
	} {
		if !strings.Contains(install.Output, want) {
			t.Errorf("install output lacks %q:\n%s", want, install.Output)
		}
	}
	if strings.Contains(install.Output, "GET http://") {
		t.Errorf("readiness asked HTTP of an app with no HTTP router:\n%s", install.Output)
	}
	custom := wantStage(t, res, "custom", results.Pass)
	passed := map[string]bool{}
	for _, tc := range custom.Tests {
		passed[tc.Name] = tc.Status == results.Pass
	}
	for _, name := range []string{"TestTCPRouterBannerAndEcho", "TestUDPRouterReachesTheSameApp", "TestPublishedPorts"} {
		if !passed[name] {
			t.Errorf("%s did not pass: %+v", name, custom.Tests)
		}
	}
}

// A stream that never answers what recipe.toml expects fails readiness,
// naming the stream and its last answer; teardown leaves nothing.
func TestInstallStreamNotReady(t *testing.T) {
	testenv.FixtureImage(t, "streams", "1")
	e := writeEnrollment(t, "[recipe]\npath = \""+fixture(t, "streams")+"\"\n\n[timeouts]\ndeploy = \"20s\"\n\n"+
		"[[probe.tcp]]\nservice = \"published\"\nexpect = \"welcome\"\n")
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "streams"), Enrollment: e}, Stages: []string{StageInstall}})
	install := wantStage(t, res, "install", results.Fail, "readiness", "published in host mode (host port picked by swarm) -> published:7000",
		"app not ready", `expecting "welcome"`, `answered "streams ready`)
	// The streams before it: the TCP router's accepts; without
	// [[probe.udp]] the UDP router's is not probed, and says so.
	for _, want := range []string{"ready: tcp router " + res.Stack + "-line -> app:7000 accepted a connection",
		"udp router " + res.Stack + "-dgram -> app:7001 not probed: UDP has no connection"} {
		if !strings.Contains(install.Output, want) {
			t.Errorf("install output lacks %q:\n%s", want, install.Output)
		}
	}
	if td := stage(t, res, "teardown"); td.Status != results.Pass {
		t.Errorf("teardown: %+v\n%s", td, progress)
	}
}

// A [[probe.tcp]] or [[probe.udp]] that names no stream of the recipe is
// bad input: exit 2, nothing deployed.
func TestStreamProbePlanErrors(t *testing.T) {
	rec := fixture(t, "streams")
	for name, tc := range map[string]struct {
		toml string
		want []string
	}{
		"no such service": {"[[probe.tcp]]\nservice = \"web\"\n", []string{"probe.tcp[0]", "service web has no TCP router or published tcp port"}},
		"no such port":    {"[[probe.tcp]]\nservice = \"app\"\nport = 7001\n", []string{"probe.tcp[0].port", "no tcp stream on port 7001 (it has 7000)"}},
		"udp port":        {"[[probe.udp]]\nservice = \"published\"\nport = 9\nsend = \"x\"\n", []string{"probe.udp[0].port", "(it has 7001)"}},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Execute(context.Background(), Options{Source: Source{Recipe: rec, Enrollment: writeEnrollment(t, tc.toml)},
				Ingress: Ingress{DomainSuffix: suffix},
				Janitor: Janitor{Off: true, LockDir: t.TempDir()},
				Output:  Output{Dir: t.TempDir()}})
			var pe *PlanError
			if !errors.As(err, &pe) || !recipe.IsInputError(err) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if len(res.Stages) != 0 {
				t.Errorf("stages ran: %+v", res.Stages)
			}
		})
	}
}

// Through the traefik ingress, the streams are reached where Traefik and
// swarm publish them on the host: published ports at their host ports,
// routers at the ports the operator gives for Traefik's entrypoints. With
// no Traefik here, the entrypoints are mapped to the published service's
// host ports (the same app behind them), so readiness and the recipe's
// tests run end to end over host ports.
func TestInstallStreamsThroughTraefikIngress(t *testing.T) {
	testenv.FixtureImage(t, "streams", "1")
	tcpPort, udpPort := freeHostPort(t, "tcp"), freeHostPort(t, "udp")
	dir := t.TempDir()
	src := fixture(t, "streams")
	for _, f := range []string{".env.sample", "compose.yml"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(data), "target: 7000\n", fmt.Sprintf("target: 7000\n        published: %d\n", tcpPort), 1)
		s = strings.Replace(s, "target: 7001\n", fmt.Sprintf("target: 7001\n        published: %d\n", udpPort), 1)
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, progress := execute(t, Options{Source: Source{Recipe: dir, Enrollment: enrollmentDir(t, "streams")},
		Stages:  []string{StageInstall, StageCustom},
		Ingress: Ingress{Kind: "traefik", Traefik: Traefik{ConnectTo: "127.0.0.1:443", EntrypointPorts: map[string]int{"streams-line": tcpPort, "streams-dgram": udpPort}}}})
	if res.Status != results.Pass {
		t.Fatalf("status %s stages %+v\n%s", res.Status, res.Stages, progress)
	}
	install := wantStage(t, res, "install", results.Pass)
	for _, want := range []string{
		fmt.Sprintf("tcp app:7000 at 127.0.0.1:%d: answered \"streams ready", tcpPort),
		fmt.Sprintf("udp app:7001 at 127.0.0.1:%d: answered \"echo: ping\"", udpPort),
		fmt.Sprintf("ready: tcp port %d published in host mode -> published:7000 accepted a connection", tcpPort),
	} {
		if !strings.Contains(install.Output, want) {
			t.Errorf("install output lacks %q:\n%s", want, install.Output)
		}
	}
	custom := wantStage(t, res, "custom", results.Pass)
	if len(custom.Tests) != 3 {
		t.Errorf("custom tests: %+v", custom.Tests)
	}
}

// freeHostPort is a host port nothing listens on (it was just released).
func freeHostPort(t *testing.T, network string) int {
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
