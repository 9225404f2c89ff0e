package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// --deployer auto picks abra when an abra binary and a server context are
// configured (here the stand-in abra of internal/abra/testdata), and
// results.json says which deployer ran.
func TestRunAutoPicksAbraWhenConfigured(t *testing.T) {
	testenv.Swarm(t)
	testenv.FixtureImage(t, "webapp", "1")
	root := testenv.RepoRoot(t)
	bin := filepath.Join(t.TempDir(), "abra")
	build := exec.Command("go", "build", "-o", bin, "./internal/abra/testdata/abra")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in abra: %v\n%s", err, out)
	}
	out := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--recipe", filepath.Join(root, "testdata", "recipes", "example"), "--stages", "install",
		"--abra", bin, "--abra-server", "default", "--out", out, "--lock-dir", t.TempDir(), "--no-janitor",
		"--domain-suffix", "auto-abra.test", "--container", "none", "--recipes-dir", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	var res results.Run
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if res.Deployer != "abra" || !strings.Contains(stderr, "$ abra app deploy "+res.Domain) {
		t.Fatalf("deployer %q\n%s", res.Deployer, stderr)
	}
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	swarmtest.AssertNoResidue(t, api, res.Stack)
}
