package lint

import (
	"os"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// A recipe whose compose model does not load is still linted, as abra
// does: the rules reading files report, those needing the model are
// skipped with the load error as their reason.
func TestUnloadable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T, f map[string]string)
		loadErr string            // in Input.Err and in the skipped rules' reasons
		fails   map[string]string // rule → findings
		skipped []string          // rules skipped for the load error
		passes  []string          // file-level rules checked and passed
	}{
		{"a service without an image", func(t *testing.T, f map[string]string) {
			edit(t, f, "compose.yml", "services:\n", "services:\n  worker:\n    command: [\"sleep\", \"1\"]\n")
		}, "services.worker: no image specified",
			map[string]string{"image-present": "service worker: no image"},
			[]string{"healthchecks", "images-tagged", "app-service", "traefik-enabled", "version-label"},
			[]string{"compose-version", "readme-metadata", "config-versions", "secret-lengths", "env-type-domain"}},
		{"no .env.sample", func(t *testing.T, f map[string]string) { delete(f, ".env.sample") },
			".env.sample: missing",
			map[string]string{"env-sample": ".env.sample is missing"},
			[]string{"healthchecks", "app-service"},
			[]string{"compose-version", "readme-metadata", "config-versions", "secret-lengths"}},
		{"a compose file that is not YAML", func(t *testing.T, f map[string]string) {
			f["compose.yml"] = "services: [\n"
		}, "compose.yml",
			map[string]string{"compose-version": "compose.yml: cannot be read: "},
			[]string{"healthchecks", "no-latest"},
			[]string{"env-sample", "env-type-domain", "readme-metadata"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := good()
			tc.change(t, files)
			in, rep := lint(t, writeRecipe(t, files))
			if in.Err == nil || !strings.Contains(in.Err.Error(), tc.loadErr) || !recipe.IsInputError(in.Err) {
				t.Fatalf("load error %v, want one naming %q", in.Err, tc.loadErr)
			}
			st, fi := outcome(rep)
			for id, want := range tc.fails {
				if st[id] != Fail || !strings.HasPrefix(fi[id], want) {
					t.Errorf("%s: %s %q, want fail %q", id, st[id], fi[id], want)
				}
			}
			for _, id := range tc.skipped {
				if st[id] != Skip || !strings.Contains(fi[id], "did not load: ") || !strings.Contains(fi[id], tc.loadErr) {
					t.Errorf("%s: %s %q, want skipped for the load error", id, st[id], fi[id])
				}
			}
			for _, id := range tc.passes {
				if st[id] != Pass {
					t.Errorf("file-level %s: %s %q, want checked and passed", id, st[id], fi[id])
				}
			}
		})
	}
}

// Every corpus recipe loads and lints with abra's ids; what each shows of
// the rules, as its files are.
func TestCorpus(t *testing.T) {
	entries, err := os.ReadDir(testenv.CorpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string][]string{ // recipe → rule → findings it includes
		"llamenos": {
			"no-latest":         {"service app: image ghcr.io/rhonda-rodododo/llamenos:latest", "service relay: image dockurr/strfry:latest"},
			"semver-image-tags": {`service minio: image minio/minio:RELEASE.2025-01-20T14-49-07Z: tag "RELEASE.2025-01-20T14-49-07Z" is not semver-like`},
			"healthchecks":      {"service web: no healthcheck"},
		},
		"gaseous": {
			"images-tagged": {"service db: image mariadb has no tag"},
			"no-latest":     {"service app: image gaseousgames/gaseousserver:latest"},
		},
		"bonfire": {
			"readme-metadata": {"README.md metadata left empty: Healthcheck, Backups, Email, Tests, SSO"},
			"secret-lengths":  {"compose.s3.yml: secret uploads_s3_secret_access_key: <stack>_uploads_s3_secret_access_key_v1 is 77 characters"},
		},
		"go-ssb-room": {
			"healthchecks": {"service app: no healthcheck"},
		},
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			dir, tags := testenv.CorpusRepo(t, e.Name())
			rep := check(t, dir)
			st, fi := outcome(rep)
			for _, r := range rep.Results {
				if r.Rule.Abra == "" && !strings.HasPrefix(r.Rule.Title(), "ours ") || r.Rule.Abra != "" && !strings.HasPrefix(r.Rule.Title(), r.Rule.Abra+" ") {
					t.Errorf("rule %s shows no abra id", r.Rule.Title())
				}
			}
			for id, findings := range want[e.Name()] {
				for _, f := range findings {
					if st[id] != Fail || !strings.Contains(fi[id], f) {
						t.Errorf("%s: %s %q lacks %q", id, st[id], fi[id], f)
					}
				}
			}
			// The releases are as upstream tagged them: annotated; none
			// is a config change without a bump (one commit holds them).
			if len(tags) > 0 && (st["annotated-tags"] != Pass || st["version-tags"] != Pass || st["config-bumps"] != Pass) {
				t.Errorf("tags %v: annotated-tags %s %s, version-tags %s, config-bumps %s %s", tags, st["annotated-tags"], fi["annotated-tags"], st["version-tags"], st["config-bumps"], fi["config-bumps"])
			}
			for _, id := range []string{"catalogue-version", "recipe-repo"} {
				if st[id] != Skip {
					t.Errorf("%s needs the network: %s", id, st[id])
				}
			}
		})
	}
}
