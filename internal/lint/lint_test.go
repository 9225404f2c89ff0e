package lint

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// check opens the recipe at dir as a run does and lints it.
func check(t *testing.T, dir string) Report {
	t.Helper()
	r, err := recipe.Open(context.Background(), dir, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(recipe.ResolveOptions{Domain: "lint-abc123.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return Check(&Input{Recipe: r, App: app})
}

// outcome maps rule IDs to their status, and the failed ones to their
// findings joined.
func outcome(rep Report) (map[string]Status, map[string]string) {
	st, fi := map[string]Status{}, map[string]string{}
	for _, r := range rep.Results {
		st[r.Rule.ID] = r.Status
		if r.Status == Fail {
			fi[r.Rule.ID] = strings.Join(r.Findings, "; ")
		}
	}
	return st, fi
}

func TestRulesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || r.What == "" || r.Fix == "" || (r.Severity != Error && r.Severity != Warning) || r.check == nil {
			t.Errorf("rule %+v", r)
		}
		seen[r.ID] = true
	}
}

// The bundled example is a plain folder: tag rules skip; everything else
// passes but the backend's missing healthcheck, if it lacks one.
func TestExampleRecipe(t *testing.T) {
	rep := check(t, filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))
	st, fi := outcome(rep)
	for _, id := range []string{"images-tagged", "no-latest", "traefik-enabled", "app-service", "version-label", "env-sample", "readme"} {
		if st[id] != Pass {
			t.Errorf("%s: %s %s", id, st[id], fi[id])
		}
	}
	for _, id := range []string{"version-tags", "releases", "release-notes"} {
		if st[id] != Skip {
			t.Errorf("%s on a plain folder: %s, want skip", id, st[id])
		}
	}
	if len(rep.Failed(Error)) != 0 {
		t.Errorf("errors on the example: %+v", rep.Failed(Error))
	}
}

// A tagged repository: a tag that is not a version is an error; the
// newest release without notes a warning.
func TestTaggedRecipe(t *testing.T) {
	dir := testenv.TaggedRecipe(t, filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "upgrade"))
	st, fi := outcome(check(t, dir))
	if st["version-tags"] != Pass || st["releases"] != Pass {
		t.Errorf("a cleanly tagged recipe: version-tags %s (%s), releases %s", st["version-tags"], fi["version-tags"], st["releases"])
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := repo.Head()
	if _, err := repo.CreateTag("before-the-rename", head.Hash(), nil); err != nil {
		t.Fatal(err)
	}
	rep := check(t, dir)
	st, fi = outcome(rep)
	if st["version-tags"] != Fail || fi["version-tags"] != "tag before-the-rename is not a version" {
		t.Errorf("version-tags: %s %q", st["version-tags"], fi["version-tags"])
	}
	if len(rep.Failed(Error)) == 0 {
		t.Error("a non-version tag is not an error")
	}
}

// Real recipes: what the corpus shows of each rule.
func TestCorpus(t *testing.T) {
	testenv.CorpusDir(t) // skips without the corpus
	t.Run("llamenos pins some images to latest", func(t *testing.T) {
		_, fi := outcome(check(t, testenv.CorpusCopy(t, "llamenos", true)))
		for _, want := range []string{"service app: image ghcr.io/rhonda-rodododo/llamenos:latest", "service relay: image dockurr/strfry:latest"} {
			if !strings.Contains(fi["no-latest"], want) {
				t.Errorf("no-latest findings %q lack %q", fi["no-latest"], want)
			}
		}
		if !strings.Contains(fi["healthchecks"], "service web: no healthcheck") {
			t.Errorf("healthchecks findings %q", fi["healthchecks"])
		}
	})
	t.Run("bonfire", func(t *testing.T) {
		st, fi := outcome(check(t, testenv.CorpusCopy(t, "bonfire", true)))
		for _, id := range []string{"images-tagged", "no-latest", "traefik-enabled", "app-service", "env-sample", "readme"} {
			if st[id] != Pass {
				t.Errorf("%s: %s %s", id, st[id], fi[id])
			}
		}
	})
}

// Hand-made recipes that break each compose rule.
func TestComposeRules(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		".env.sample": "TYPE=broken\nLETS_ENCRYPT_ENV=production\n",
		"compose.yml": `version: "3.8"
services:
  web:
    image: nginx
    deploy:
      labels:
        - "traefik.http.routers.web.rule=Host(` + "`${DOMAIN}`" + `)"
        - "traefik.http.services.web.loadbalancer.server.port=80"
  worker:
    image: busybox:latest
    healthcheck:
      disable: true
  pinned:
    image: redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep := check(t, dir)
	st, fi := outcome(rep)
	want := map[string]string{
		"images-tagged":   "service web: image nginx has no tag",
		"no-latest":       "service worker: image busybox:latest",
		"healthchecks":    "service web: no healthcheck; service worker: healthcheck disabled",
		"traefik-enabled": `service web: declares traefik routers but traefik.enable is ""`,
		"app-service":     "no service is called app (services: pinned, web, worker)",
		"env-sample":      ".env.sample: DOMAIN is not set",
		"readme":          "README.md is missing",
	}
	for id, w := range want {
		if st[id] != Fail || fi[id] != w {
			t.Errorf("%s: %s %q, want fail %q", id, st[id], fi[id], w)
		}
	}
	var errs []string
	for _, r := range rep.Failed(Error) {
		errs = append(errs, r.Rule.ID)
	}
	if want := []string{"images-tagged", "no-latest", "traefik-enabled", "env-sample"}; !slices.Equal(errs, want) {
		t.Errorf("errors %v, want %v", errs, want)
	}
}

func TestSplitImage(t *testing.T) {
	for image, want := range map[string][2]string{
		"nginx":                          {"", ""},
		"nginx:1.27":                     {"1.27", ""},
		"registry.example.org:5000/app":  {"", ""},
		"registry.example.org:5000/a:v1": {"v1", ""},
		"app@sha256:abc":                 {"", "sha256:abc"},
		"app:1@sha256:abc":               {"1", "sha256:abc"},
	} {
		if tag, digest := splitImage(image); tag != want[0] || digest != want[1] {
			t.Errorf("%s: %q %q, want %q", image, tag, digest, want)
		}
	}
}
