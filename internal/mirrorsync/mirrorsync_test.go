package mirrorsync_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/forge/forgetest"
	"github.com/cc-ci/recipe-test/v2/internal/mirror"
	"github.com/cc-ci/recipe-test/v2/internal/mirrorsync"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopGitea()
	os.Exit(code)
}

// upstreamSource is a recipe's upstream repository: a release tag and a
// second branch.
func upstreamSource(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte("services:\n  app:\n    image: nginx:1.27\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	repo, first := testenv.CommitAll(t, dir, "First release")
	if _, err := repo.CreateTag("1.0.0+1.27", first, nil); err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	if err := wt.Checkout(&git.CheckoutOptions{Branch: "refs/heads/feature", Create: true}); err != nil {
		t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: "refs/heads/main"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// enrolled writes recipes/<name>/recipe.toml naming upstream and mirror
// and loads it.
func enrolled(t *testing.T, name, upstream, mirrorURL string) *enrollment.Enrollment {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := fmt.Sprintf("[recipe]\nupstream = %q\n", upstream)
	if mirrorURL != "" {
		toml += fmt.Sprintf("mirror = %q\n", mirrorURL)
	}
	if err := os.WriteFile(filepath.Join(dir, enrollment.FileName), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := enrollment.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func lsRemote(t *testing.T, url string, auth transport.AuthMethod) map[string]string {
	t.Helper()
	rem := git.NewRemote(nil, &config.RemoteConfig{Name: "origin", URLs: []string{url}})
	refs, err := rem.ListContext(context.Background(), &git.ListOptions{Auth: auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatalf("ls-remote %s: %v", url, err)
	}
	out := map[string]string{}
	for _, r := range refs {
		n := r.Name().String()
		if (strings.HasPrefix(n, "refs/heads/") || strings.HasPrefix(n, "refs/tags/")) && !strings.HasSuffix(n, "^{}") {
			out[n] = r.Hash().String()
		}
	}
	return out
}

func sameRefs(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: refs %v, want %v", what, got, want)
	}
	for name, h := range want {
		if got[name] != h {
			t.Errorf("%s: %s = %q, want %q", what, name, got[name], h)
		}
	}
}

// A Gitea pull mirror made by enroll falls behind its upstream (a new
// commit, a new tag, a deleted branch) until its interval comes; Sync
// asks Gitea to sync it now and returns once it shows exactly upstream's
// branches and tags.
func TestSyncGiteaPullMirror(t *testing.T) {
	g := testenv.GiteaServer(t)
	ctx := context.Background()
	org := g.Org(t)
	owner := "up-" + org
	g.User(t, owner, "read:user")
	upstream := g.Import(t, owner, "app", upstreamSource(t))
	f, err := forge.New(ctx, forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token, TokenSource: "$TEST_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mirror.Find(ctx, f, mirror.Spec{Repo: forge.Repo{Owner: org, Name: "app"}, Upstream: upstream, Interval: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	auth := &githttp.BasicAuth{Username: g.Admin, Password: g.Token}
	clone, err := git.PlainClone(t.TempDir(), false, &git.CloneOptions{URL: upstream, Tags: git.AllTags})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sync(ctx, clone); err != nil {
		t.Fatal(err)
	}
	e := enrolled(t, "app", upstream, m.Info.CloneURL)

	// Upstream moves on; the mirror, synced once a day, does not.
	upRepo := "/repos/" + owner + "/app"
	g.Do(t, http.MethodPost, upRepo+"/contents/CHANGELOG.md", map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("# 1.1.0\n")),
		"message": "Changelog", "branch": "main"}, nil, http.StatusCreated)
	g.Do(t, http.MethodPost, upRepo+"/tags", map[string]any{"tag_name": "1.1.0+1.27", "target": "main", "message": "1.1.0+1.27"}, nil, http.StatusCreated)
	g.Do(t, http.MethodDelete, upRepo+"/branches/feature", nil, nil, http.StatusNoContent)
	want := lsRemote(t, upstream, auth)
	if _, ok := want["refs/tags/1.1.0+1.27"]; !ok {
		t.Fatalf("upstream lacks its new tag: %v", want)
	}
	if before := lsRemote(t, m.Info.CloneURL, auth); before["refs/heads/main"] == want["refs/heads/main"] {
		t.Fatalf("the mirror already follows upstream's new commit: the test proves nothing")
	}

	res, err := mirrorsync.Sync(ctx, e, mirrorsync.Options{Forge: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Recipe != "app" || res.Mirror != (forge.Repo{Owner: org, Name: "app"}) || !res.Pulls || res.URL != m.Info.CloneURL {
		t.Errorf("result %+v", res)
	}
	sameRefs(t, "the mirror after Sync", lsRemote(t, m.Info.CloneURL, auth), want)
}

// Mirrors Sync refuses, each error naming the recipe and the mirror: one
// the forge does not have, a repository of the mirror's name that is not
// a pull mirror of the upstream, an enrollment without a mirror.
func TestSyncGiteaRefuses(t *testing.T) {
	g := testenv.GiteaServer(t)
	ctx := context.Background()
	org := g.Org(t)
	upstream := g.Import(t, org, "upstream", upstreamSource(t))
	f, err := forge.New(ctx, forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token, TokenSource: "$TEST_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	missing := strings.TrimSuffix(upstream, "upstream.git") + "gone.git"
	_, err = mirrorsync.Sync(ctx, enrolled(t, "gone", upstream, missing), mirrorsync.Options{Forge: f})
	if err == nil || !strings.Contains(err.Error(), "recipe gone: mirror "+org+"/gone: not found on the forge (recipe.toml names "+missing+")") {
		t.Errorf("a mirror the forge lacks: %v", err)
	}
	copyURL := g.Import(t, org, "copy", upstreamSource(t)) // a plain repository, no mirror
	_, err = mirrorsync.Sync(ctx, enrolled(t, "copy", upstream, copyURL), mirrorsync.Options{Forge: f})
	if err == nil || !strings.Contains(err.Error(), "recipe copy: mirror "+org+"/copy: "+org+"/copy exists and is not a pull mirror") {
		t.Errorf("a plain repository named as the mirror: %v", err)
	}
	_, err = mirrorsync.Sync(ctx, enrolled(t, "direct", upstream, ""), mirrorsync.Options{Forge: f})
	if !errors.Is(err, mirrorsync.ErrNoMirror) || !strings.Contains(err.Error(), "recipe direct: ") {
		t.Errorf("an enrollment without a mirror: %v", err)
	}
}

// GitHub has no pull mirrors: Sync pushes upstream's new tag and commit
// to the mirror enroll made, and deletes the branch upstream deleted.
func TestSyncGitHubPushedMirror(t *testing.T) {
	const org, token = "cc-ci", "ghp_fake-mirror-sync"
	gh := forgetest.NewGitHub(t)
	gh.AddToken(token, forgetest.Account{Login: "ci-bot"})
	gh.AddOrg(org)
	ctx := context.Background()
	f, err := forge.New(ctx, forge.Options{Kind: "github", BaseURL: gh.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	dir := upstreamSource(t)
	upstream := "file://" + dir
	m, err := mirror.Find(ctx, f, mirror.Spec{Repo: forge.Repo{Owner: org, Name: "app"}, Upstream: upstream})
	if err != nil {
		t.Fatal(err)
	}
	clone, err := git.PlainClone(t.TempDir(), false, &git.CloneOptions{URL: upstream, Tags: git.AllTags})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sync(ctx, clone); err != nil {
		t.Fatal(err)
	}
	e := enrolled(t, "app", upstream, m.Info.CloneURL)

	if err := os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte("# 1.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	up, second := testenv.CommitAll(t, dir, "Changelog")
	if _, err := up.CreateTag("1.1.0+1.27", second, nil); err != nil {
		t.Fatal(err)
	}
	if err := up.Storer.RemoveReference("refs/heads/feature"); err != nil {
		t.Fatal(err)
	}
	res, err := mirrorsync.Sync(ctx, e, mirrorsync.Options{Forge: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pulls || res.Mirror != (forge.Repo{Owner: org, Name: "app"}) {
		t.Errorf("result %+v", res)
	}
	got := lsRemote(t, m.Info.CloneURL, nil)
	sameRefs(t, "the mirror after Sync", got, lsRemote(t, upstream, nil))
	if got["refs/tags/1.1.0+1.27"] != second.String() {
		t.Errorf("the new release is not on the mirror: %v", got)
	}

	// A repository of the mirror's name that another upstream's homepage
	// names is not this recipe's mirror: nothing is pushed to it.
	gh.AddRepo(t, org, "other", forgetest.RepoOptions{Homepage: "https://example.org/other"})
	other, _ := gh.Repo(org + "/other")
	_, err = mirrorsync.Sync(ctx, enrolled(t, "other", upstream, other.GitURL), mirrorsync.Options{Forge: f})
	if err == nil || !strings.Contains(err.Error(), "recipe other: mirror "+org+"/other: ") || !strings.Contains(err.Error(), "is not a mirror made by recipe-test enroll") {
		t.Errorf("another repository named as the mirror: %v", err)
	}
	if refs := lsRemote(t, other.GitURL, nil); len(refs) != 0 {
		t.Errorf("refs pushed to a repository that is not the mirror: %v", refs)
	}
}

func TestRepoOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://git.example.org/cc-ci/app.git":  "cc-ci/app",
		"https://github.com/cc-ci/app":           "cc-ci/app",
		"http://127.0.0.1:3000/org-1/app.git/":   "org-1/app",
		"file:///tmp/x/forge/cc-ci/keycloak.git": "cc-ci/keycloak",
		"git@github.com:cc-ci/app.git":           "cc-ci/app",
	} {
		got, err := mirrorsync.RepoOf(in)
		if err != nil || got.String() != want {
			t.Errorf("RepoOf(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"https://git.example.org/app.git", "app"} {
		if _, err := mirrorsync.RepoOf(in); err == nil {
			t.Errorf("RepoOf(%q): no error", in)
		}
	}
}
