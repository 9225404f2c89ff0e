package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestInspectExample(t *testing.T) {
	code, out, stderr := runCLI(t, "inspect", filepath.Join("..", "..", "testdata", "recipes", "example"), "--domain", "exam-c0ffee.ci.test")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Name     string `json:"name"`
		Stack    string `json:"stack"`
		Services []struct {
			Name, FullName string
			Routers        []struct{ Port int }
		} `json:"services"`
		Secrets []struct {
			FullName string `json:"full_name"`
			Length   int
		} `json:"secrets"`
		Versions []any `json:"versions"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Name != "example" || got.Stack != "exam-c0ffee_ci_test" || len(got.Services) != 2 || got.Versions == nil {
		t.Errorf("inspect = %+v", got)
	}
	if len(got.Secrets) == 0 || !strings.HasPrefix(got.Secrets[0].FullName, "exam-c0ffee_ci_test_") {
		t.Errorf("secrets = %+v", got.Secrets)
	}
}

func TestInspectBadInputExit2(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte("version: '3.8'\nservices: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"missing env sample": {"inspect", dir},
		"missing folder":     {"inspect", filepath.Join(dir, "nope")},
		"no argument":        {"inspect"},
		"unknown flag":       {"inspect", dir, "--bogus"},
		"bad domain":         {"inspect", filepath.Join("..", "..", "testdata", "recipes", "example"), "--domain", "Not_A_Domain"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, args...)
			if code != exitConfig || !strings.HasPrefix(stderr, "recipe-test: ") {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// Every command and flag has real help text.
func TestHelpEverywhere(t *testing.T) {
	root := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	for _, c := range append(root.Commands(), root) {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if len(c.Short) < 10 || len(c.Long) < 30 {
			t.Errorf("%s: short or long help missing", c.Name())
		}
		c.Flags().VisitAll(func(f *pflagFlag) {
			if len(f.Usage) < 10 {
				t.Errorf("%s --%s: no usage text", c.Name(), f.Name)
			}
		})
	}
}

type pflagFlag = pflag.Flag

// Bad lifecycle input (an unknown recipe.toml key, a release the recipe
// does not have, an unknown stage) is a configuration error: exit 2,
// naming what is wrong, before anything is deployed.
func TestRunBadLifecycleInputExit2(t *testing.T) {
	example := filepath.Join("..", "..", "testdata", "recipes", "example")
	en := t.TempDir()
	if err := os.WriteFile(filepath.Join(en, "recipe.toml"), []byte("[hooks]\nservice = \"app\"\n[upgrade]\nbase = \"1.0.0\"\nfrom = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"unknown recipe.toml key": {[]string{"--enrollment", en}, []string{"recipe.toml:5", "upgrade.from", "unknown key"}},
		"missing release":         {[]string{"--upgrade-from", "0.9.0"}, []string{"--upgrade-from", `"0.9.0"`, "releases: none"}},
		"unknown stage":           {[]string{"--stages", "install,lint-ish"}, []string{`"lint-ish"`, "install, upgrade, backup, restore"}},
		"only teardown":           {[]string{"--stages", "teardown"}, []string{"nothing to test", "teardown, which always runs"}},
		"abra without a server":   {[]string{"--deployer", "abra", "--abra", "/bin/true"}, []string{"--deployer abra needs", "a server context (--abra-server NAME"}},
		"abra without abra":       {[]string{"--deployer", "abra", "--abra", "/nonexistent/abra", "--abra-server", "default"}, []string{"an abra binary (--abra PATH", "/nonexistent/abra"}},
		"unknown deployer":        {[]string{"--deployer", "helm"}, []string{`unknown deployer "helm"`, "auto, swarm or abra"}},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"run", "--recipe", example, "--out", t.TempDir(), "--no-janitor", "--lock-dir", t.TempDir()}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			if code != exitConfig {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, stderr)
				}
			}
			if strings.Contains(stderr, "[install]") {
				t.Errorf("a stage ran: %s", stderr)
			}
		})
	}
}

// report re-renders a saved results.json in every format; bad input exits 2.
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "results.json")
	run := &results.Run{Status: results.Fail, Recipe: "example", Residue: []string{},
		Stages: []results.Stage{{Name: "install", Status: results.Fail, Reason: "converge: app unhealthy", Output: "log line\n"}}}
	run.ComputeLadder(nil)
	var buf bytes.Buffer
	if err := report.JSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(saved, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for format, want := range map[string]string{
		"markdown": "### ❌ example: L0 of 5: install fails",
		"junit":    `<failure message="converge: app unhealthy"`,
		"json":     `"reason": "converge: app unhealthy"`,
	} {
		code, out, stderr := runCLI(t, "report", "--from", saved, "--format", format)
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, stderr %q, output lacks %q:\n%s", format, code, stderr, want, out)
		}
	}
	if code, _, _ := runCLI(t, "report", "--from", saved); code != exitOK {
		t.Errorf("markdown is the default: exit %d", code)
	}
	for name, args := range map[string][]string{
		"no --from":      {"report"},
		"missing file":   {"report", "--from", filepath.Join(dir, "nope.json")},
		"not results":    {"report", "--from", filepath.Join("..", "..", "go.mod")},
		"unknown format": {"report", "--from", saved, "--format", "pdf"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitConfig || !strings.HasPrefix(stderr, "recipe-test: ") {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
	}
}

// cobra's own usage errors (an unknown command, a missing argument) are
// usage errors too: exit 2, as documented.
func TestCobraUsageErrorsExit2(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown command":  {"nosuch"},
		"unknown flag":     {"run", "--no-such-flag"},
		"missing argument": {"teardown"},
		"sync-mirror of several recipes": {"run", "--recipe", "example", "--recipe", "custom-html", "--sync-mirror",
			"--out", "/nonexistent/recipe-test-not-written"},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitConfig || !strings.HasPrefix(stderr, "recipe-test: ") {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
	}
}

// inspect lists an app's TCP and UDP ways in with the service and port
// each reaches.
func TestInspectStreams(t *testing.T) {
	code, out, stderr := runCLI(t, "inspect", filepath.Join("..", "..", "testdata", "recipes", "streams"), "--domain", "stre-c0ffee.ci.test")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Streams []struct {
			Protocol, Router, Target, Mode string
			Port                           int
		} `json:"streams"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var seen []string
	for _, s := range got.Streams {
		seen = append(seen, fmt.Sprintf("%s %s %s:%d %s", s.Protocol, s.Router, s.Target, s.Port, s.Mode))
	}
	want := []string{"tcp stre-c0ffee_ci_test-line app:7000 ", "udp stre-c0ffee_ci_test-dgram app:7001 ",
		"tcp  published:7000 host", "udp  published:7001 host"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("streams:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// An ssh:// node with no ssh binary here (as in an image without
// OpenSSH's client) is a usage error at plan time naming the node and the
// missing binary: exit 2, before the swarm (here an address that answers
// nothing) is ever dialled.
func TestRunSSHNodeWithoutSSHExit2(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	out := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--recipe", filepath.Join("..", "..", "testdata", "recipes", "example"),
		"--node", "worker-1=ssh://ci@worker-1.example.org", "--out", out)
	if code != exitConfig || !strings.Contains(stderr, "node worker-1: endpoint ssh://ci@worker-1.example.org is reached by running ssh") ||
		!strings.Contains(stderr, "no ssh binary here") || strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("exit %d, stderr %q; want exit %d naming node worker-1 and the missing ssh, the swarm never dialled", code, stderr, exitConfig)
	}
}
