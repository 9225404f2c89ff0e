package harness

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
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
// go list -deps is the go command's own answer of what a package links.
func TestHarnessLinksNoDeployer(t *testing.T) {
	goBin, err := exec.LookPath("go") // go test puts its own toolchain first in PATH
	if err != nil {
		t.Fatalf("the go command: %v", err)
	}
	for _, pkg := range []string{".", "./sso"} {
		out, err := exec.CommandContext(t.Context(), goBin, "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 50 || !strings.HasPrefix(deps[len(deps)-1], "github.com/cc-ci/recipe-test/v2/harness") {
			t.Fatalf("go list -deps %s printed %d packages, ending with %q: not the harness's dependencies", pkg, len(deps), deps[len(deps)-1])
		}
		self := deps[len(deps)-1]
		for _, p := range deps {
			for _, h := range heavyDeps {
				if strings.Contains(p, h) {
					t.Errorf("%s links %s", self, p)
				}
			}
			if own, ok := strings.CutPrefix(p, "github.com/cc-ci/recipe-test/v2/"); ok && !strings.HasPrefix(own, "harness") &&
				!slices.Contains(thinPackages, p) {
				t.Errorf("%s links %s, which is not one of the thin packages it may (%s)", self, p, strings.Join(thinPackages, ", "))
			}
		}
	}
}
