package runner

import (
	"os"
	"path/filepath"
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
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "prefix"), Enrollment: enrollmentDir(t, "prefix")},
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

// Co-op Cloud's traefik recipe routes its domain to Traefik's own
// api@internal, through a middleware of the file provider, and declares a
// traefik service whose port is a name: abra deploys it, so recipe-test
// does too (no plan error, lint warns naming the labels), and the direct
// ingress, which has nothing of the recipe to send the domain to, fails
// readiness saying so; teardown leaves nothing.
func TestInstallTraefikInternalRouterOnly(t *testing.T) {
	testenv.FixtureImage(t, "backend", "1")
	dir := prefixVariant(t, func(s string) string {
		s = strings.Replace(s, "loadbalancer.server.port=8080", "loadbalancer.server.port=web", 1)
		return strings.Replace(s, `middlewares=${STACK_NAME}-strip@docker"`, `middlewares=security@file"`+"\n"+
			`        - "traefik.http.routers.${STACK_NAME}.service=api@internal"`, 1)
	})
	res, progress := execute(t, Options{Source: Source{Recipe: dir},
		Stages: []string{StageLint, StageInstall},
		Deploy: Deploy{Env: []string{"TIMEOUT=20"}}})
	lint := wantStage(t, res, "lint", results.Pass)
	for _, want := range []string{"traefik-labels", "loadbalancer.server.port=web", "service=api@internal", "middlewares=security@file"} {
		if !strings.Contains(lint.Output, want) {
			t.Errorf("lint output lacks %q:\n%s", want, lint.Output)
		}
	}
	wantStage(t, res, "install", results.Fail, "readiness", "no service carries a traefik router this ingress can serve", "api@internal")
	if td := stage(t, res, "teardown"); td.Status != results.Pass {
		t.Errorf("teardown: %+v\n%s", td, progress)
	}
}

// prefixVariant is a copy of the prefix fixture with its compose file
// edited.
func prefixVariant(t *testing.T, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	src := fixture(t, "prefix")
	for _, f := range []string{".env.sample", "compose.yml"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "compose.yml" {
			data = []byte(edit(string(data)))
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// What the direct ingress cannot do as Traefik would (a dashboard router
// to api@internal, a middleware of the file provider) is in the install
// stage's log and note, and the app is still served.
func TestInstallNotesWhatTraefikWouldDo(t *testing.T) {
	testenv.FixtureImage(t, "backend", "1")
	dir := prefixVariant(t, func(s string) string {
		return strings.Replace(s, `middlewares=${STACK_NAME}-strip@docker"`, `middlewares=security@file,${STACK_NAME}-strip@docker"`+"\n"+
			`        - "traefik.http.routers.${STACK_NAME}-dashboard.rule=Host(`+"`"+`${DOMAIN}`+"`"+`) && PathPrefix(`+"`"+`/dashboard`+"`"+`)"`+"\n"+
			`        - "traefik.http.routers.${STACK_NAME}-dashboard.service=api@internal"`, 1)
	})
	res, progress := execute(t, Options{Source: Source{Recipe: dir}, Stages: []string{StageInstall}})
	install := wantStage(t, res, "install", results.Pass)
	if res.Status != results.Pass {
		t.Fatalf("status %s\n%s", res.Status, progress)
	}
	for _, want := range []string{"ingress: router ", "-dashboard of service app", "api@internal",
		"middleware security@file is defined by Traefik's file provider", "ready: GET http://" + res.Domain + "/x/health answered 200"} {
		if !strings.Contains(install.Output, want) {
			t.Errorf("install output lacks %q:\n%s", want, install.Output)
		}
	}
	if !strings.Contains(install.Note, "ingress: ") || !strings.Contains(install.Note, "more in the log") {
		t.Errorf("install note = %q", install.Note)
	}
}
