package harness

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// thinPackages are this module's packages the public harness may link: what
// it needs of the engine (internal/containers: the moby client and the
// standard library) and small leaves. Not the deployer (internal/swarm),
// the recipe model, the ingress or naming: they bring the compose loader
// and the rest below into every recipe's test binary.
var thinPackages = []string{
	"github.com/cc-ci/recipe-test/v2/internal/containers",
	"github.com/cc-ci/recipe-test/v2/internal/excerpt",
	"github.com/cc-ci/recipe-test/v2/internal/facts",
	"github.com/cc-ci/recipe-test/v2/internal/outdir",
	"github.com/cc-ci/recipe-test/v2/internal/sleep",
}

// heavyDeps name (as substrings of import paths) what deploying needs and a
// recipe's tests never do: each once made every precompiled recipe test
// binary in the action image ~28 MB.
var heavyDeps = []string{
	"/internal/swarm", "/internal/recipe", "/internal/ingress", "/internal/naming",
	"github.com/docker/cli", "github.com/go-git/", "swarmkit", "google.golang.org/grpc", "jsonschema",
}

// The harness, and harness/sso, which recipes with an identity provider
// import besides it, stay thin: every enrolled recipe's test binary in the
// action image links them (bench/testbinaries.sh measures the binaries).
func TestHarnessLinksNoDeployer(t *testing.T) {
	for _, pkg := range []string{".", "./sso"} {
		deps := goListDeps(t, ".", pkg)
		self := deps[len(deps)-1]
		if !strings.HasPrefix(self, "github.com/cc-ci/recipe-test/v2/harness") {
			t.Fatalf("go list -deps %s ends with %q: not the harness's dependencies", pkg, self)
		}
		for _, p := range deps {
			checkThin(t, self, p)
			if own, ok := strings.CutPrefix(p, "github.com/cc-ci/recipe-test/v2/"); ok && !strings.HasPrefix(own, "harness") &&
				!slices.Contains(thinPackages, p) {
				t.Errorf("%s links %s, which is not one of the thin packages it may (%s)", self, p, strings.Join(thinPackages, ", "))
			}
		}
	}
}

// Each enrolled recipe's test binary, as the Dockerfile precompiles it,
// links none of the heavy dependencies either: a recipe's tests reach the
// engine through the harness, not through the deployer.
func TestRecipeTestsLinkNoDeployer(t *testing.T) {
	root := testenv.RepoRoot(t)
	dirs, err := filepath.Glob(filepath.Join(root, "recipes", "*", "*_test.go"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no enrolled recipe's tests under %s/recipes (%v)", root, err)
	}
	seen := map[string]bool{}
	for _, f := range dirs {
		name := filepath.Base(filepath.Dir(f))
		if seen[name] {
			continue
		}
		seen[name] = true
		deps := goListDeps(t, root, "./recipes/"+name)
		self := deps[len(deps)-1]
		if self != "github.com/cc-ci/recipe-test/v2/recipes/"+name+".test" {
			t.Fatalf("go list -deps -test ./recipes/%s ends with %q: not its test binary's dependencies", name, self)
		}
		for _, p := range deps {
			checkThin(t, self, p)
		}
	}
}

// goListDeps returns what pkg (in dir) links, its tests included, as the go
// command answers (go list -deps -test): the package, or its test binary,
// comes last.
func goListDeps(t *testing.T, dir, pkg string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test puts its own toolchain first in PATH
	if err != nil {
		t.Fatalf("the go command: %v", err)
	}
	args := []string{"list", "-deps", pkg}
	if strings.HasPrefix(pkg, "./recipes/") {
		args = []string{"list", "-deps", "-test", pkg}
	}
	cmd := exec.CommandContext(t.Context(), goBin, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go %s printed %d packages: not a package's dependencies", strings.Join(args, " "), len(deps))
	}
	return deps
}

// checkThin fails t when self links p, one of heavyDeps.
func checkThin(t *testing.T, self, p string) {
	t.Helper()
	for _, h := range heavyDeps {
		if strings.Contains(p, h) {
			t.Errorf("%s links %s", self, p)
		}
	}
}
