package lint

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// release commits dir and tags the commit with an annotated tag, as abra
// recipe release does.
func release(t *testing.T, dir, tag string) plumbing.Hash {
	t.Helper()
	repo, head := testenv.CommitAll(t, dir, "release "+tag)
	sig := &object.Signature{Name: "maintainer", Email: "m@example.org", When: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := repo.CreateTag(tag, head, &git.CreateTagOptions{Tagger: sig, Message: tag}); err != nil {
		t.Fatal(err)
	}
	return head
}

func ruleOutcome(t *testing.T, dir, id string) (Status, string) {
	t.Helper()
	st, fi := outcome(check(t, dir))
	return st[id], fi[id]
}

// config-bumps, on a recipe's history: a config file changed since the
// previous release needs a new version in abra.sh, whether the change is
// committed, in the working tree, or the newest release itself.
func TestConfigBumps(t *testing.T) {
	files := good()
	files["release/1.0.0+1.27.3"] = "First release.\n"
	dir := writeRecipe(t, files)
	release(t, dir, "1.0.0+1.27.3")
	if st, why := ruleOutcome(t, dir, "config-bumps"); st != Skip || why != "no earlier release to compare with" {
		t.Errorf("the first release: %s %q", st, why)
	}
	if st, _ := ruleOutcome(t, dir, "annotated-tags"); st != Pass {
		t.Errorf("annotated-tags on an annotated release: %s", st)
	}

	writeFiles(t, dir, map[string]string{"app.conf": "listen 8080;\n"})
	want := `compose.yml: config app_conf: app.conf changed since 1.0.0+1.27.3 but APP_CONF_VERSION is still "v1"`
	if st, got := ruleOutcome(t, dir, "config-bumps"); st != Fail || got != want {
		t.Errorf("a changed file in the working tree: %s %q, want %q", st, got, want)
	}
	testenv.CommitAll(t, dir, "listen on 8080")
	if st, got := ruleOutcome(t, dir, "config-bumps"); st != Fail || got != want {
		t.Errorf("a changed file committed: %s %q, want %q", st, got, want)
	}
	writeFiles(t, dir, map[string]string{"release/1.1.0+1.27.3": "Listens on 8080.\n"})
	release(t, dir, "1.1.0+1.27.3")
	if st, got := ruleOutcome(t, dir, "config-bumps"); st != Fail || got != want {
		t.Errorf("the newest release is compared with the one before: %s %q, want %q", st, got, want)
	}

	writeFiles(t, dir, map[string]string{"abra.sh": "export APP_CONF_VERSION=v2\n"})
	if st, got := ruleOutcome(t, dir, "config-bumps"); st != Pass {
		t.Errorf("bumped in abra.sh: %s %q", st, got)
	}
	writeFiles(t, dir, map[string]string{"new.conf": "x\n", "compose.yml": strings.Replace(files["compose.yml"], "file: app.conf", "file: new.conf", 1)})
	if st, got := ruleOutcome(t, dir, "config-bumps"); st != Pass {
		t.Errorf("a file the release did not have is new, not changed: %s %q", st, got)
	}
}

// A recipe repository at a ref: the commit under test, not the working
// tree's HEAD, decides the previous release.
func TestConfigBumpsAtRef(t *testing.T) {
	files := good()
	dir := writeRecipe(t, files)
	release(t, dir, "1.0.0+1.27.3")
	writeFiles(t, dir, map[string]string{"app.conf": "listen 8080;\n"})
	release(t, dir, "1.1.0+1.27.3")
	work := t.TempDir()
	for ref, want := range map[string]Status{"1.0.0+1.27.3": Skip, "1.1.0+1.27.3": Fail} {
		r, err := recipe.Open(context.Background(), dir, ref, work)
		if err != nil {
			t.Fatal(err)
		}
		app, err := r.Resolve(recipe.ResolveOptions{Domain: domain})
		if err != nil {
			t.Fatal(err)
		}
		st, fi := outcome(Check(&Input{Recipe: r, App: app}))
		if st["config-bumps"] != want {
			t.Errorf("at %s: %s %q, want %s", ref, st["config-bumps"], fi["config-bumps"], want)
		}
	}
}

// A secret made from a file (not generated) is versioned the same way,
// from .env.sample.
func TestSecretFileBump(t *testing.T) {
	files := maps.Clone(good())
	files["users.txt"] = "alice\n"
	files[".env.sample"] += "SECRET_USERS_VERSION=v1\n"
	edit(t, files, "compose.yml", "secrets:\n  db_password:", "secrets:\n  users:\n    file: users.txt\n    name: ${STACK_NAME}_users_${SECRET_USERS_VERSION}\n  db_password:")
	dir := writeRecipe(t, files)
	release(t, dir, "1.0.0+1.27.3")
	writeFiles(t, dir, map[string]string{"users.txt": "alice\nbob\n"})
	want := `compose.yml: secret users: users.txt changed since 1.0.0+1.27.3 but SECRET_USERS_VERSION is still "v1"`
	if st, got := ruleOutcome(t, dir, "config-bumps"); st != Fail || got != want {
		t.Errorf("%s %q, want %q", st, got, want)
	}
	writeFiles(t, dir, map[string]string{".env.sample": strings.Replace(files[".env.sample"], "SECRET_USERS_VERSION=v1", "SECRET_USERS_VERSION=v2", 1)})
	if st, got := ruleOutcome(t, dir, "config-bumps"); st != Pass {
		t.Errorf("bumped: %s %q", st, got)
	}
}

// A release whose commit the clone lacks (a shallow clone keeps the tag,
// not its history) is not compared: a skip that says so, not a finding.
func TestConfigBumpsWithoutTheRelease(t *testing.T) {
	dir := writeRecipe(t, good())
	release(t, dir, "1.0.0+1.27.3")
	writeFiles(t, dir, map[string]string{"app.conf": "listen 8080;\n"})
	r, err := recipe.Open(context.Background(), dir, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r.Versions[0].Commit = strings.Repeat("0", 40)
	app, err := r.Resolve(recipe.ResolveOptions{Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	st, fi := outcome(Check(&Input{Recipe: r, App: app}))
	if st["config-bumps"] != Skip || !strings.HasPrefix(fi["config-bumps"], "release 1.0.0+1.27.3's files are not in the clone (") {
		t.Errorf("config-bumps: %s %q", st["config-bumps"], fi["config-bumps"])
	}
}

// releases and release-notes on a repository's history: no tag, a
// release without notes, then its notes.
func TestReleaseRules(t *testing.T) {
	dir := writeRecipe(t, good())
	testenv.CommitAll(t, dir, "import")
	st, fi := outcome(check(t, dir))
	if st["releases"] != Fail || fi["releases"] != "no release tag" || st["release-notes"] != Skip {
		t.Errorf("untagged: releases %s %q, release-notes %s", st["releases"], fi["releases"], st["release-notes"])
	}
	writeFiles(t, dir, map[string]string{"LICENSE": "AGPL-3.0\n"})
	release(t, dir, "1.0.0+1.27.3")
	st, fi = outcome(check(t, dir))
	if st["releases"] != Pass || st["release-notes"] != Fail || fi["release-notes"] != "release 1.0.0+1.27.3 has no release/1.0.0+1.27.3" {
		t.Errorf("a release without notes: releases %s, release-notes %s %q", st["releases"], st["release-notes"], fi["release-notes"])
	}
	writeFiles(t, dir, map[string]string{"release/1.0.0+1.27.3": "First release.\n"})
	if st, fi = outcome(check(t, dir)); st["release-notes"] != Pass {
		t.Errorf("with notes: %s %q", st["release-notes"], fi["release-notes"])
	}
}
