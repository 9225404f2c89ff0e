package mirror_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/forge/forgetest"
	"github.com/cc-ci/recipe-test/v2/internal/mirror"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

const ghOrg, ghToken = "cc-ci", "ghp_fake-mirror-token"

// newGitHub is the shared fake GitHub (github.com cannot be reached from
// here) with the organisation cc-ci and a token that may create
// repositories in it; the repositories are local bare git repositories.
func newGitHub(t *testing.T) (*forgetest.GitHub, forge.Forge) {
	t.Helper()
	f := forgetest.NewGitHub(t)
	f.AddToken(ghToken, forgetest.Account{Login: "ci-bot"})
	f.AddOrg(ghOrg)
	fg, err := forge.New(context.Background(), forge.Options{Kind: "github", BaseURL: f.URL, Token: ghToken})
	if err != nil {
		t.Fatal(err)
	}
	return f, fg
}

// GitHub has no pull mirrors: the mirror is a repository whose homepage
// names upstream, and each Sync pushes upstream's branches and tags to
// it, forced (upstream rewrote main) and deleting what upstream no
// longer has.
func TestGitHubPushedMirror(t *testing.T) {
	f, fg := newGitHub(t)
	if _, ok := fg.(forge.MirrorSyncer); ok {
		t.Fatal("the GitHub forge says it keeps pull mirrors")
	}
	ctx := context.Background()
	dir := upstreamSource(t)
	upstream := "file://" + dir
	spec := mirror.Spec{Repo: forge.Repo{Owner: ghOrg, Name: "app"}, Upstream: upstream}
	m, err := mirror.Find(ctx, fg, spec)
	if err != nil || m.Exists || m.Pulls() {
		t.Fatalf("find before creation: %+v, %v", m, err)
	}
	created, err := m.Sync(ctx, cloneUpstream(t, upstream, nil))
	if err != nil || !created {
		t.Fatalf("sync: created %v, %v", created, err)
	}
	repo, ok := f.Repo(ghOrg + "/app")
	if !ok || repo.Homepage != upstream || repo.Private || !strings.Contains(repo.Description, upstream) || m.Info.CloneURL != repo.GitURL {
		t.Fatalf("the mirror repository %+v (found %v), info %+v", repo, ok, m.Info)
	}
	sameRefs(t, lsRemote(t, m.Info.CloneURL, nil), lsRemote(t, upstream, nil))

	// Upstream rewrites main, deletes feature and tags a release.
	up, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := up.Reference("refs/tags/1.0.0+1.27", true)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := up.Worktree()
	if err := wt.Reset(&git.ResetOptions{Commit: first.Hash(), Mode: git.HardReset}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte("# 1.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, rewritten := testenv.CommitAll(t, dir, "Changelog, instead of the README")
	if _, err := up.CreateTag("1.1.0+1.27", rewritten, nil); err != nil {
		t.Fatal(err)
	}
	if err := up.Storer.RemoveReference(plumbing.NewBranchReferenceName("feature")); err != nil {
		t.Fatal(err)
	}
	again, err := mirror.Find(ctx, fg, spec)
	if err != nil || !again.Exists {
		t.Fatalf("find the existing mirror: %+v, %v", again, err)
	}
	if created, err := again.Sync(ctx, cloneUpstream(t, upstream, nil)); err != nil || created {
		t.Fatalf("sync after upstream moved: created %v, %v", created, err)
	}
	mirrored, want := lsRemote(t, again.Info.CloneURL, nil), lsRemote(t, upstream, nil)
	if mirrored["refs/heads/main"] != rewritten.String() || mirrored["refs/tags/1.1.0+1.27"] != rewritten.String() || mirrored["refs/heads/feature"] != "" || len(mirrored) != len(want) {
		t.Errorf("mirror after upstream moved: %v; upstream %v", mirrored, want)
	}
	if n := len(f.Repos()); n != 1 {
		t.Errorf("%d repositories after two syncs", n)
	}
}

// A repository of the mirror's name whose homepage names another
// upstream (or none) is not a mirror recipe-test made: Find refuses it.
func TestGitHubFindRefusesAnotherRepository(t *testing.T) {
	f, fg := newGitHub(t)
	f.AddRepo(t, ghOrg, "app", forgetest.RepoOptions{Homepage: "https://app.example.org"})
	upstream := "https://git.coopcloud.tech/coop-cloud/app.git"
	_, err := mirror.Find(context.Background(), fg, mirror.Spec{Repo: forge.Repo{Owner: ghOrg, Name: "app"}, Upstream: upstream})
	want := ghOrg + `/app exists but is not a mirror made by recipe-test enroll (its homepage names the upstream) of ` + upstream + ` (it names "https://app.example.org")`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v\nwant %s", err, want)
	}
}
