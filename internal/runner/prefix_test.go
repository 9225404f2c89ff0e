package runner

import (
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// A recipe served under a path prefix (Host && PathPrefix(`/x`) with a
// stripprefix middleware) installs on the real swarm through the direct
// ingress: readiness asks /x/health (the app's healthcheck path mapped
// back through the router) and the recipe's tests pass through the prefix.
func TestInstallUnderPathPrefix(t *testing.T) {
	testenv.FixtureImage(t, "backend", "1")
	res, progress := execute(t, Options{Recipe: fixture(t, "prefix"), Enrollment: enrollment(t, "prefix"),
		Stages: []string{StageInstall, StageCustom}})
	if res.Status != results.Pass {
		t.Fatalf("status %s stages %+v\n%s", res.Status, res.Stages, progress)
	}
	install := wantStage(t, res, "install", results.Pass)
	if want := "ready: GET http://" + res.Domain + "/x/health answered 200"; !strings.Contains(install.Output, want) {
		t.Errorf("install output lacks %q:\n%s", want, install.Output)
	}
	custom := wantStage(t, res, "custom", results.Pass)
	passed := map[string]bool{}
	for _, tc := range custom.Tests {
		passed[tc.Name] = tc.Status == results.Pass
	}
	for _, name := range []string{"TestServedUnderPrefix", "TestNothingOutsideThePrefix"} {
		if !passed[name] {
			t.Errorf("%s did not pass: %+v", name, custom.Tests)
		}
	}
}
