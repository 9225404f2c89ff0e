package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/mount"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// Run from a container on a bridge network of its own (an Actions job's),
// a recipe with a dependency: recipe-test joins the app's and the
// provider's reach networks, each stack's tasks reached through its own;
// the provider is made ready and set up, the app installs wired to it, and
// the recipe's tests (precompiled, without the browser test: the
// container has no Chromium) reach both domains through the app's
// ingress: discovery and a client-credentials token at the provider, the
// app refusing a visitor. Everything is torn down.
func TestDependencyFromBridgeContainer(t *testing.T) {
	testenv.Swarm(t)
	img := testenv.FixtureImage(t, "streams", "1") // a bare image to run in
	testenv.FixtureImage(t, "oidc-provider", "1")
	testenv.FixtureImage(t, "oidc-app", "1")
	root := testenv.RepoRoot(t)
	dir := t.TempDir()
	enr := filepath.Join(dir, "enrollments")
	for _, name := range []string{"oidc-app", "oidc-provider"} {
		data, err := os.ReadFile(filepath.Join(root, "testdata", "enrollments", name, "recipe.toml"))
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.Replace(string(data), `path = "../../recipes/`, `path = "/testdata/recipes/`, 1))
		if err := os.MkdirAll(filepath.Join(enr, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(enr, name, "recipe.toml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test := exec.Command("go", "test", "-c", "-tags", "nobrowser", "-o", filepath.Join(enr, "oidc-app", "oidc-app.test"), "./testdata/enrollments/oidc-app")
	test.Dir = root
	test.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := test.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	code, log := runInBridgeContainer(t, dir, img, "deps", []mount.Mount{
		{Type: mount.TypeBind, Source: filepath.Join(root, "testdata"), Target: "/testdata", ReadOnly: true},
	}, "run", "--recipe", "/testdata/recipes/oidc-app", "--enrollment", "/x/enrollments/oidc-app", "--recipes-dir", "/x/enrollments",
		"--stages", "install,custom", "--out", "/x/out", "--lock-dir", "/x/locks", "--no-janitor", "--domain-suffix", "deps-ctr.test")
	if code != 0 {
		t.Fatalf("the run exited %d:\n%s", code, log)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res results.Run
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	passed := map[string]bool{}
	for _, st := range res.Stages {
		for _, tc := range st.Tests {
			passed[tc.Name] = tc.Status == results.Pass
		}
	}
	for _, name := range []string{"TestDiscovery", "TestClientCredentials", "TestRefusesWithoutLogin"} {
		if !passed[name] {
			t.Errorf("recipe test %s did not pass: %v\n%s", name, passed, log)
		}
	}
	if len(res.Dependencies) != 1 || res.Dependencies[0].Status != results.Pass {
		t.Errorf("dependencies %+v", res.Dependencies)
	}
	for _, want := range []string{"it joins the run's network", "[oidc-provider] [install] joined network", "[install] joined network", "nothing left"} {
		if !strings.Contains(log, want) {
			t.Errorf("run log lacks %q:\n%s", want, log)
		}
	}
	assertNoResidueOf(t, log)
}
