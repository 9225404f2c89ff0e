package cli

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"
	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// actBinary is act as scripts/setup-act.sh caches it.
func actBinary(t *testing.T) string {
	t.Helper()
	return testenv.CachedTool(t, "act-0.2.89/act", "scripts/setup-act.sh")
}

// The action, under a real Actions runner: act runs
// .github/workflows/action-e2e.yml, whose step `uses: ./` runs the action
// image (built from this work tree's Dockerfile on the local base images,
// tagged as the published image action.yml names) and tests the enrolled
// example recipe on the local swarm through
// the mounted Docker socket. The workflow prints the outputs and the JUnit
// file, which the test checks, and nothing of the run's stack may remain.
//
// It runs twice: on act's default host network, and the way GitHub's
// self-hosted runner and Gitea's act_runner run a job, on a user-defined
// bridge network of the job's own, from which a task's docker_gwbridge
// address cannot be reached (act then starts the action in the job
// container's network namespace).
func TestActionUnderAct(t *testing.T) {
	testenv.Swarm(t)
	act := actBinary(t)
	root := testenv.RepoRoot(t)
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	for _, img := range []string{"debian:bookworm-slim", "golang:1.26-bookworm"} {
		if _, err := api.ImageInspect(t.Context(), img); err != nil {
			t.Fatalf("base image %s missing: run scripts/base-images.sh (%v)", img, err)
		}
	}
	actionImage(t) // action.yml runs a prebuilt image: this code's, not a pull
	// act keeps a tool cache volume for its jobs; remove it afterwards
	// unless it was there before.
	if _, err := api.VolumeInspect(t.Context(), "act-toolcache", client.VolumeInspectOptions{}); err != nil {
		t.Cleanup(func() {
			api.VolumeRemove(context.Background(), "act-toolcache", client.VolumeRemoveOptions{Force: true})
		})
	}
	t.Run("host network", func(t *testing.T) { runActE2E(t, api, act, root, "") })
	t.Run("bridge network", func(t *testing.T) {
		id, err := naming.NewRunID(nil)
		if err != nil {
			t.Fatal(err)
		}
		network := "recipe-test-act-" + id
		if _, err := api.NetworkCreate(t.Context(), network, client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := api.NetworkRemove(context.Background(), network, client.NetworkRemoveOptions{}); err != nil {
				t.Errorf("remove network %s: %v", network, err)
			}
		})
		log := runActE2E(t, api, act, root, network)
		if !strings.Contains(log, "joins the run's network") {
			t.Errorf("the action did not join the run's network from the bridge network")
		}
	})
}

// runActE2E runs the e2e workflow under act, on network ("" = act's
// default, the host's), checks what it printed and that nothing of the
// run is left, and returns act's log.
func runActE2E(t *testing.T, api *client.Client, act, root, network string) string {
	event := filepath.Join(t.TempDir(), "event.json")
	os.WriteFile(event, []byte(`{"number":1,"pull_request":{"number":1,"head":{"sha":"0000000000000000000000000000000000000000","ref":"e2e"},"base":{"ref":"main"}}}`), 0o644)
	args := []string{"pull_request", "-W", ".github/workflows/action-e2e.yml", "-e", event,
		"-P", "ubuntu-latest=debian:bookworm-slim", "--pull=false", "--action-offline-mode", "--no-cache-server", "--rm"}
	if network != "" {
		args = append(args, "--network", network)
	}
	cmd := exec.CommandContext(t.Context(), act, args...)
	cmd.Dir = root
	cmd.Stdin = nil
	cmd.WaitDelay = time.Minute
	start := time.Now()
	out, err := cmd.CombinedOutput()
	log := string(out)
	t.Logf("act ran for %s", time.Since(start).Round(time.Second))
	if err != nil || !strings.Contains(log, "Job succeeded") {
		t.Fatalf("act: %v\n%s", err, tailLines(log, 80))
	}
	lines := map[string]string{}
	var junitXML strings.Builder
	inJUnit := false
	for _, line := range strings.Split(log, "\n") {
		_, text, ok := strings.Cut(line, "| ")
		if !ok {
			continue
		}
		switch {
		case text == "E2E junit-begin":
			inJUnit = true
		case text == "E2E junit-end":
			inJUnit = false
		case inJUnit:
			junitXML.WriteString(text + "\n")
		case strings.HasPrefix(text, "E2E "):
			k, v, _ := strings.Cut(strings.TrimPrefix(text, "E2E "), "=")
			lines[k] = v
		}
	}
	// install passes, upgrade is declared not applicable, backup and
	// restore did not run: L2.
	if lines["status"] != "pass" || lines["level"] != "2" || lines["junit"] != "rt-results/junit.xml" {
		t.Errorf("outputs %v", lines)
	}
	var suites junit.Testsuites // go-junit-report's model reads JUnit back
	if err := xml.Unmarshal([]byte(junitXML.String()), &suites); err != nil || len(suites.Suites) == 0 {
		t.Fatalf("junit: %v\n%s", err, junitXML.String())
	}
	var names []string
	for _, s := range suites.Suites {
		for _, c := range s.Testcases {
			if c.Failure != nil {
				t.Errorf("junit failure in %s", c.Name)
			}
			names = append(names, s.Name+"/"+c.Name)
		}
	}
	if !strings.Contains(strings.Join(names, " "), "TestPageRendersInBrowser") {
		t.Errorf("junit cases %v", names)
	}
	for _, want := range []string{"::group::install", "::group::custom", "[teardown] nothing left"} {
		if !strings.Contains(log, want) {
			t.Errorf("act log lacks %q", want)
		}
	}
	// Nothing of the run's stack is left on the swarm.
	res, err := api.ServiceList(t.Context(), client.ServiceListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Items {
		if strings.Contains(s.Spec.Name, "act-e2e_test") {
			t.Errorf("left behind: service %s", s.Spec.Name)
		}
	}
	vols, err := api.VolumeList(t.Context(), client.VolumeListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vols.Items {
		if strings.Contains(v.Name, "act-e2e_test") {
			t.Errorf("left behind: volume %s", v.Name)
		}
	}
	nets, err := api.NetworkList(t.Context(), client.NetworkListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets.Items {
		if strings.Contains(n.Name, "act-e2e_test") {
			t.Errorf("left behind: network %s", n.Name)
		}
	}
	return log
}

func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
