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

const domain = "lint-abc123.example.org"

// lint fetches the recipe at dir as `recipe-test lint` does and lints it
// as far as it loads.
func lint(t *testing.T, dir string) (*Input, Report) {
	t.Helper()
	src, err := recipe.Fetch(context.Background(), dir, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	in := Load(src, domain)
	return in, Check(in)
}

// check lints a recipe that must load.
func check(t *testing.T, dir string) Report {
	t.Helper()
	in, rep := lint(t, dir)
	if in.Err != nil {
		t.Fatalf("%s does not load: %v", dir, in.Err)
	}
	return rep
}

// outcome maps rule IDs to their status, and to their findings joined
// (for a skip, its reason).
func outcome(rep Report) (map[string]Status, map[string]string) {
	st, fi := map[string]Status{}, map[string]string{}
	for _, r := range rep.Results {
		st[r.Rule.ID] = r.Status
		fi[r.Rule.ID] = strings.Join(r.Findings, "; ") + r.Reason
	}
	return st, fi
}

// writeRecipe writes files (name → content) into a fresh folder.
func writeRecipe(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// abraRules are abra's LintRules (coopcloud.tech/abra/pkg/lint): each id
// once, at abra's level.
var abraRules = map[string]Severity{
	"R001": Warning, "R002": Warning, "R003": Warning, "R004": Warning, "R005": Warning,
	"R006": Warning, "R007": Warning, "R008": Error, "R009": Error, "R010": Error,
	"R011": Error, "R012": Error, "R013": Warning, "R014": Error, "R015": Warning,
}

func TestRulesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	var abra []string
	for _, r := range Rules() {
		if seen[r.ID] || r.What == "" || r.Fix == "" || (r.Severity != Error && r.Severity != Warning) || r.check == nil {
			t.Errorf("rule %+v", r)
		}
		seen[r.ID] = true
		if r.Abra == "" {
			if r.Ref() != Ours || r.Title() != "ours "+r.ID {
				t.Errorf("rule %s: ref %q title %q", r.ID, r.Ref(), r.Title())
			}
			continue
		}
		abra = append(abra, r.Abra)
		if want, ok := abraRules[r.Abra]; !ok || r.Severity != want || r.Title() != r.Abra+" "+r.ID {
			t.Errorf("rule %s: %s at %s, want abra's level %q", r.Title(), r.Abra, r.Severity, want)
		}
	}
	if !slices.IsSorted(abra) || len(abra) != len(abraRules) || len(slices.Compact(slices.Clone(abra))) != len(abra) {
		t.Errorf("abra's rules %v, want R001-R015 once each, in order", abra)
	}
	for _, id := range []string{"version-label", "release-notes", "version-tags", "config-bumps"} {
		if !seen[id] {
			t.Errorf("our rule %s is gone", id)
		}
	}
}

// The rules that need the network are skipped, saying what they would
// query, never passed.
func TestNetworkRulesSkip(t *testing.T) {
	st, fi := outcome(check(t, filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example")))
	for id, what := range map[string]string{"catalogue-version": "recipes.coopcloud.tech", "recipe-repo": "git.coopcloud.tech"} {
		if st[id] != Skip || !strings.Contains(fi[id], "needs the network") || !strings.Contains(fi[id], what) {
			t.Errorf("%s: %s %q", id, st[id], fi[id])
		}
	}
}

// Every bundled recipe loads and is lint clean (no error); the example,
// a plain folder, passes every rule that applies to it.
func TestBundledRecipes(t *testing.T) {
	root := filepath.Join(testenv.RepoRoot(t), "testdata", "recipes")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(root, e.Name())
			if e.Name() == "upgrade" {
				dir = testenv.TaggedRecipe(t, dir)
			}
			rep := check(t, dir)
			if errs := rep.Failed(Error); len(errs) > 0 {
				t.Errorf("errors: %+v", errs)
			}
			if e.Name() != "example" {
				return
			}
			for _, r := range rep.Results {
				plain := strings.Contains(r.Reason, "plain folder") || r.Reason == "no release to have notes"
				if r.Status == Fail || r.Status == Skip && !plain && r.Rule.needs != needNetwork {
					t.Errorf("%s: %s %v %s", r.Rule.Title(), r.Status, r.Findings, r.Reason)
				}
			}
		})
	}
}

// A tagged repository: annotated release tags pass; a lightweight tag
// that is not a version breaks R014 and version-tags, both errors.
func TestTaggedRecipe(t *testing.T) {
	dir := testenv.TaggedRecipe(t, filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "upgrade"))
	st, fi := outcome(check(t, dir))
	for _, id := range []string{"version-tags", "releases", "annotated-tags", "release-notes"} {
		if st[id] != Pass {
			t.Errorf("a cleanly tagged recipe: %s %s %s", id, st[id], fi[id])
		}
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateTag("before-the-rename", head.Hash(), nil); err != nil {
		t.Fatal(err)
	}
	rep := check(t, dir)
	st, fi = outcome(rep)
	if st["version-tags"] != Fail || fi["version-tags"] != "tag before-the-rename is not a version" {
		t.Errorf("version-tags: %s %q", st["version-tags"], fi["version-tags"])
	}
	if st["annotated-tags"] != Fail || fi["annotated-tags"] != "tag before-the-rename is a lightweight tag" {
		t.Errorf("annotated-tags: %s %q", st["annotated-tags"], fi["annotated-tags"])
	}
	var errs []string
	for _, r := range rep.Failed(Error) {
		errs = append(errs, r.Summary())
	}
	if want := []string{"R014 annotated-tags: tag before-the-rename is a lightweight tag", "ours version-tags: tag before-the-rename is not a version"}; !slices.Equal(errs, want) {
		t.Errorf("errors %q, want %q", errs, want)
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

func TestSemverLike(t *testing.T) {
	for tag, want := range map[string]bool{
		"1": true, "v1.2": true, "1.27.3": true, "17-alpine": true, "1.0.6-social-amd64": true, "17-3.5": true,
		"1.2.3.4": true, "latest": false, "stable": false, "RELEASE.2025-01-20T14-49-07Z": false,
		"1.2.3.4.5": false, "v": false, "1.2-": false, "main": false,
	} {
		if got := semverLike.MatchString(tag); got != want {
			t.Errorf("%s: %v, want %v", tag, got, want)
		}
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"STACK_NAME": "s", "V": "v2", "EMPTY": ""}
	for tmpl, want := range map[string]string{
		"${STACK_NAME}_x_${V}":  "s_x_v2",
		"$STACK_NAME-x":         "s-x",
		"${UNSET:-v1}":          "v1",
		"${EMPTY:-v3}":          "v3",
		"${UNSET}_y":            "_y",
		"${V:-v9}":              "v2",
		"plain":                 "plain",
		"${STACK_NAME}_${V:?x}": "s_v2",
	} {
		if got := expand(tmpl, env); got != want {
			t.Errorf("%s: %q, want %q", tmpl, got, want)
		}
	}
	if vv := versionVars("${STACK_NAME}_c_${C_VERSION:-v3}"); len(vv) != 1 || vv[0] != (ref{"C_VERSION", "v3"}) {
		t.Errorf("versionVars: %+v", vv)
	}
}
