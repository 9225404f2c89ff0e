package cli

import (
	"os/exec"
	"strings"
	"testing"
)

// The recipe-test binary writes the facts for the recipe's tests but never
// links what only the tests need: the harness, and with it `testing` and
// chromedp (a third of the binary once). go list -deps is the go
// command's own answer of what the binary links.
func TestBinaryLinksNoTestSupport(t *testing.T) {
	goBin, err := exec.LookPath("go") // go test puts its own toolchain first in PATH
	if err != nil {
		t.Fatalf("the go command: %v", err)
	}
	// Both binaries: what go install names recipe-test, and what the
	// action image builds.
	for _, bin := range []string{"cmd/recipe-test", "cmd/action"} {
		out, err := exec.CommandContext(t.Context(), goBin, "list", "-deps", "../../"+bin).Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 100 || deps[len(deps)-1] != "github.com/cc-ci/recipe-test/v2/"+bin {
			t.Fatalf("go list -deps printed %d packages, ending with %q: not this binary's dependencies", len(deps), deps[len(deps)-1])
		}
		for _, p := range deps {
			if p == "testing" || strings.Contains(p, "chromedp") || strings.HasSuffix(p, "/harness") {
				t.Errorf("%s links %s", bin, p)
			}
		}
	}
}
