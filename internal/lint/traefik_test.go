package lint

import (
	"maps"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// Labels Traefik tolerates (the shape of Co-op Cloud's traefik recipe: a
// router to api@internal, an unused service whose port is a name, a
// middleware of the file provider) load: traefik-labels warns, naming
// each label, and no other rule fails.
func TestTraefikLabelsWarn(t *testing.T) {
	files := maps.Clone(good())
	edit(t, files, "compose.yml", "loadbalancer.server.port=80", "loadbalancer.server.port=web")
	edit(t, files, "compose.yml", `        - "coop-cloud.`, `        - "traefik.http.routers.${STACK_NAME}.service=api@internal"
        - "traefik.http.routers.${STACK_NAME}.middlewares=security@file"
        - "coop-cloud.`)
	rep := check(t, writeRecipe(t, files))
	for _, r := range rep.Results {
		got := strings.Join(r.Findings, "\n")
		if r.Rule.ID != "traefik-labels" {
			if r.Status == Fail {
				t.Errorf("%s fails too: %s", r.Rule.Title(), got)
			}
			continue
		}
		if r.Status != Fail || r.Rule.Severity != Warning || r.Rule.Title() != "ours traefik-labels" {
			t.Errorf("%s: %s (%s), want a failed warning", r.Rule.Title(), r.Status, r.Rule.Severity)
		}
		for _, want := range []string{
			"service app: traefik.http.services.lint-abc123_example_org.loadbalancer.server.port=web: not a port number",
			"service app: traefik.http.routers.lint-abc123_example_org.service=api@internal",
			"service app: traefik.http.routers.lint-abc123_example_org.middlewares=security@file",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("findings lack %q:\n%s", want, got)
			}
		}
	}
}

// A recipe written for Traefik v2 (gaseous' headers.SSLForceHost) is
// warned about; the corpus recipes all load.
func TestTraefikLabelsCorpus(t *testing.T) {
	_, fi := outcome(check(t, testenv.CorpusCopy(t, "gaseous", true)))
	if !strings.Contains(fi["traefik-labels"], "headers.SSLForceHost was removed in Traefik v3") {
		t.Errorf("gaseous: traefik-labels = %q", fi["traefik-labels"])
	}
}
