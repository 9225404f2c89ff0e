package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/mirror"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// giteaCatalogue is a CI catalogue on a real Gitea: the upgrade fixture's
// release history as an upstream repository, its pull mirror (synced once
// a day: it falls behind) in the CI organisation, and a recipes folder
// enrolling it from the mirror beside a bundled recipe without one.
type giteaCatalogue struct {
	g                 *testenv.Gitea
	org, owner        string
	upstream, mirror  string // clone URLs
	recipes           string
	upstreamAPI       string
	token, tokenEnvNm string
}

func newGiteaCatalogue(t *testing.T) *giteaCatalogue {
	t.Helper()
	g := testenv.GiteaServer(t)
	c := &giteaCatalogue{g: g, org: g.Org(t), token: g.Token, tokenEnvNm: "RT_MIRROR_TOKEN"}
	c.owner = "up-" + c.org
	g.User(t, c.owner, "read:user")
	c.upstream = g.Import(t, c.owner, "upgrade", testenv.TaggedRecipe(t, filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "upgrade")))
	c.upstreamAPI = "/repos/" + c.owner + "/upgrade"
	f, err := forge.New(t.Context(), forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token, TokenSource: "$T"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mirror.Find(t.Context(), f, mirror.Spec{Repo: forge.Repo{Owner: c.org, Name: "upgrade"}, Upstream: c.upstream, Interval: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	clone, err := git.PlainClone(t.TempDir(), false, &git.CloneOptions{URL: c.upstream, Tags: git.AllTags})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sync(t.Context(), clone); err != nil {
		t.Fatal(err)
	}
	c.mirror = m.Info.CloneURL
	c.recipes = t.TempDir()
	write := func(name, toml string) {
		if err := os.MkdirAll(filepath.Join(c.recipes, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(c.recipes, name, "recipe.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("upgrade", fmt.Sprintf("[recipe]\nupstream = %q\nmirror = %q\n", c.upstream, c.mirror))
	write("example", fmt.Sprintf("[recipe]\npath = %q\n", filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example")))
	t.Setenv(c.tokenEnvNm, g.Token)
	return c
}

// commitUpstream adds a commit to upstream's main and returns its hash.
func (c *giteaCatalogue) commitUpstream(t *testing.T, file string) string {
	t.Helper()
	c.g.Do(t, http.MethodPost, c.upstreamAPI+"/contents/"+file, map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("# " + file + "\n")),
		"message": "Add " + file, "branch": "main"}, nil, http.StatusCreated)
	return headOf(t, c.upstream)
}

func headOf(t *testing.T, url string) string {
	t.Helper()
	rem := git.NewRemote(nil, &config.RemoteConfig{Name: "origin", URLs: []string{url}})
	refs, err := rem.ListContext(t.Context(), &git.ListOptions{})
	if err != nil {
		t.Fatalf("ls-remote %s: %v", url, err)
	}
	for _, r := range refs {
		if r.Name().String() == "refs/heads/main" {
			return r.Hash().String()
		}
	}
	t.Fatalf("%s has no main", url)
	return ""
}

func (c *giteaCatalogue) forgeArgs() []string {
	return []string{"--forge", "gitea", "--forge-url", c.g.URL, "--token-env", c.tokenEnvNm}
}

// recipe-test mirror sync against a real Gitea: --all syncs the mirror
// that fell behind and lists the recipe without one; a named recipe
// without a mirror fails naming it, after the others were synced; an
// unknown name or no name at all is a usage error.
func TestMirrorSyncCommand(t *testing.T) {
	c := newGiteaCatalogue(t)
	want := c.commitUpstream(t, "CHANGELOG.md")
	if headOf(t, c.mirror) == want {
		t.Fatal("the mirror already has upstream's new commit: the test proves nothing")
	}
	code, stdout, stderr := runCLI(t, append([]string{"mirror", "sync", "--all", "--recipes-dir", c.recipes}, c.forgeArgs()...)...)
	if code != exitOK {
		t.Fatalf("mirror sync --all: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, line := range []string{"example: no mirror (fetched from ", "upgrade: mirror " + c.org + "/upgrade synced (pull mirror) " + c.mirror} {
		if !strings.Contains(stdout, line) {
			t.Errorf("stdout lacks %q:\n%s", line, stdout)
		}
	}
	if got := headOf(t, c.mirror); got != want {
		t.Errorf("the mirror's main is %s after the sync, upstream's %s", got, want)
	}
	if strings.Contains(stdout+stderr, c.token) {
		t.Error("the token is in the output")
	}

	code, stdout, stderr = runCLI(t, append([]string{"mirror", "sync", "upgrade", "example", "--recipes-dir", c.recipes}, c.forgeArgs()...)...)
	if code != exitFailed || !strings.Contains(stdout, "upgrade: mirror "+c.org+"/upgrade synced") ||
		!strings.Contains(stderr, "recipe example: "+filepath.Join(c.recipes, "example", "recipe.toml")+" names no mirror") {
		t.Errorf("a named recipe without a mirror: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, args := range [][]string{{"nosuch"}, {}, {"upgrade", "--all"}} {
		code, _, stderr := runCLI(t, append(append([]string{"mirror", "sync", "--recipes-dir", c.recipes}, args...), c.forgeArgs()...)...)
		if code != exitConfig {
			t.Errorf("mirror sync %v: exit %d, want %d\n%s", args, code, exitConfig, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "mirror", "sync", "upgrade", "--recipes-dir", c.recipes); code != exitConfig || !strings.Contains(stderr, "--forge github or --forge gitea") {
		t.Errorf("no forge: exit %d\n%s", code, stderr)
	}
}

// run --sync-mirror brings the mirror level before the run fetches the
// recipe from it: a lint-only run (no swarm needed) tests upstream's new
// commit, which a run without it does not see. A sync that fails (the
// upstream is gone) is a warning naming the recipe and the mirror, and the
// mirror is tested as it is, the run's result standing.
func TestRunSyncsTheMirrorFirst(t *testing.T) {
	c := newGiteaCatalogue(t)
	old := headOf(t, c.mirror)
	// The runs report their status on a CI repository of their own.
	ci := c.g.Import(t, c.org, "ci", testenv.TaggedRecipe(t, filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "upgrade")))
	ciHead := headOf(t, ci)
	head := c.commitUpstream(t, "NOTES.md")
	run := func(sync bool) (int, string, string) {
		t.Helper()
		out := t.TempDir()
		args := append([]string{"run", "--recipe", "upgrade", "--recipes-dir", c.recipes, "--stages", "lint", "--out", out,
			"--repo", c.org + "/ci", "--sha", ciHead, "--lock-dir", t.TempDir()}, c.forgeArgs()...)
		if sync {
			args = append(args, "--sync-mirror")
		}
		code, _, stderr := runCLI(t, args...)
		var res struct{ Commit, Status string }
		data, err := os.ReadFile(filepath.Join(out, "results.json"))
		if err == nil {
			err = json.Unmarshal(data, &res)
		}
		if err != nil {
			t.Fatalf("results.json: %v\n%s", err, stderr)
		}
		return code, res.Commit, stderr
	}
	for _, k := range []string{"GITHUB_EVENT_PATH", "GITHUB_SHA", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_RUN_ID"} {
		t.Setenv(k, "")
	}
	if code, commit, stderr := run(false); commit != old {
		t.Fatalf("without --sync-mirror: exit %d, tested %s, want the mirror's %s\n%s", code, commit, old, stderr)
	}
	code, commit, stderr := run(true)
	if commit != head || !strings.Contains(stderr, "mirror sync: recipe upgrade: mirror "+c.org+"/upgrade is level with "+c.upstream) {
		t.Errorf("with --sync-mirror: exit %d, tested %s, want upstream's %s\n%s", code, commit, head, stderr)
	}

	// Upstream gone: the sync fails, the run tests the mirror as it is.
	c.g.Do(t, http.MethodDelete, c.upstreamAPI, nil, nil, http.StatusNoContent)
	code2, commit, stderr := run(true)
	if code2 != code || commit != head || !strings.Contains(stderr, "warning: mirror sync failed, testing the mirror as it is: recipe upgrade: mirror "+c.org+"/upgrade: upstream "+c.upstream+" cannot be cloned") {
		t.Errorf("a failed sync: exit %d (before: %d), tested %s, want %s\n%s", code2, code, commit, head, stderr)
	}
	if code, _, stderr := runCLI(t, "run", "--recipe", "upgrade", "--recipes-dir", c.recipes, "--stages", "lint", "--sync-mirror"); code != exitConfig ||
		!strings.Contains(stderr, "--sync-mirror needs the mirror's forge") {
		t.Errorf("--sync-mirror without a forge: exit %d\n%s", code, stderr)
	}
}

// The action's sync-mirror input, under Gitea Actions (its forge and
// token): the mirror is synced before the run fetches the recipe from it,
// so a lint-only run (no swarm needed) tests upstream's new commit; with
// the upstream gone the sync is a warning annotation naming the recipe and
// the mirror, and the mirror is tested as it is.
func TestActionSyncsTheMirrorFirst(t *testing.T) {
	c := newGiteaCatalogue(t)
	ci := c.g.Import(t, c.org, "ci", testenv.TaggedRecipe(t, filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "upgrade")))
	head := c.commitUpstream(t, "NOTES.md")
	if headOf(t, c.mirror) == head {
		t.Fatal("the mirror already has upstream's new commit: the test proves nothing")
	}
	run := func() (int, string, string) {
		t.Helper()
		dir := t.TempDir()
		env := map[string]string{
			"GITHUB_ACTIONS": "true", "GITEA_ACTIONS": "true", "GITHUB_EVENT_NAME": "schedule", "GITHUB_EVENT_PATH": "",
			"GITHUB_REPOSITORY": c.org + "/ci", "GITHUB_SERVER_URL": c.g.URL, "GITHUB_SHA": headOf(t, ci), "GITHUB_RUN_ID": "9",
			"GITHUB_WORKSPACE": dir, "GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
			"INPUT_RECIPE": "upgrade", "INPUT_RECIPES-DIR": c.recipes, "INPUT_STAGES": "lint", "INPUT_OUT": filepath.Join(dir, "out"),
			"INPUT_SYNC-MIRROR": "true", "INPUT_TOKEN": c.token, "INPUT_COMMENT": "false",
			"RECIPE_TEST_LOCK_DIR": filepath.Join(dir, "locks"),
		}
		for k, v := range env {
			t.Setenv(k, v)
		}
		code, stdout, stderr := runCLI(t, "action")
		var res struct{ Commit string }
		data, err := os.ReadFile(filepath.Join(dir, "out", "results.json"))
		if err == nil {
			err = json.Unmarshal(data, &res)
		}
		if err != nil {
			t.Fatalf("results.json: %v\n%s%s", err, stdout, stderr)
		}
		if strings.Contains(strings.ReplaceAll(stdout, "::add-mask::"+c.token, "")+stderr, c.token) {
			t.Error("the token is in the output, beyond its mask")
		}
		return code, res.Commit, stdout
	}
	code, commit, stdout := run()
	if code != exitOK || commit != head || !strings.Contains(stdout, "mirror sync: recipe upgrade: mirror "+c.org+"/upgrade is level with") {
		t.Errorf("sync-mirror: exit %d, tested %s, want upstream's %s\n%s", code, commit, head, stdout)
	}
	c.g.Do(t, http.MethodDelete, c.upstreamAPI, nil, nil, http.StatusNoContent)
	code, commit, stdout = run()
	if code != exitOK || commit != head || !strings.Contains(stdout, "::warning::mirror sync failed, testing the mirror as it is: recipe upgrade: mirror "+c.org+"/upgrade: upstream ") {
		t.Errorf("a failed sync: exit %d, tested %s, want the mirror's %s\n%s", code, commit, head, stdout)
	}
}
