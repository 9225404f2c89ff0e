package enroll_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/cc-ci/recipe-test/v2/internal/enroll"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/forge/forgetest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

const (
	ghOrg   = "cc-ci"
	ghToken = "ghp_fake-enroll-token" // ci-bot's
	ghCI    = ghOrg + "/recipe-test"
)

// newGitHub is the shared fake GitHub (github.com cannot be reached from
// here) with the organisation cc-ci holding the CI repository, a copy of
// ciSource; its repositories' clone URLs are local bare repositories, so
// the git clones and pushes are real.
func newGitHub(t *testing.T, ciSource string) *forgetest.GitHub {
	f := forgetest.NewGitHub(t)
	f.AddToken(ghToken, forgetest.Account{Login: "ci-bot"})
	f.AddOrg(ghOrg)
	f.AddRepo(t, ghOrg, "recipe-test", forgetest.RepoOptions{Source: ciSource})
	return f
}

func gitHubForge(t *testing.T, f *forgetest.GitHub, token string) forge.Forge {
	t.Helper()
	fg, err := forge.New(context.Background(), forge.Options{Kind: "github", BaseURL: f.URL, Token: token, TokenSource: "$GH_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	return fg
}

// gitURL is the clone URL of a repository of the fake.
func gitURL(t *testing.T, f *forgetest.GitHub, repo string) string {
	t.Helper()
	r, ok := f.Repo(repo)
	if !ok {
		t.Fatalf("no repository %s", repo)
	}
	return r.GitURL
}

// count counts the requests served as "METHOD path".
func count(f *forgetest.GitHub, key string) int {
	n := 0
	for _, r := range f.Requests() {
		if strings.HasPrefix(r, key+"?") {
			n++
		}
	}
	return n
}

// TestEnrollGitHub: the same flow against GitHub's documented API: the
// mirror repository is created and every branch and tag pushed (to a local
// bare repository); enrolling again creates nothing new; an upstream
// commit is pushed to the mirror on the next enrollment.
func TestEnrollGitHub(t *testing.T) {
	upDir, name, tags := testenv.RecipeRepo(t, "bonfire")
	f := newGitHub(t, ciRepo(t))
	ctx := context.Background()
	r, _ := git.PlainOpen(upDir)
	head, _ := r.Head()
	if err := r.Storer.SetReference(plumbing.NewHashReference("refs/heads/feature", head.Hash())); err != nil {
		t.Fatal(err)
	}
	opts := func() enroll.Options {
		return enroll.Options{Name: name, Upstream: "file://" + upDir, Forge: gitHubForge(t, f, ghToken),
			Repo: forge.Repo{Owner: ghOrg, Name: "recipe-test"}, RecipesDir: t.TempDir(), WorkDir: t.TempDir()}
	}
	res, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if !res.MirrorCreated || res.MirrorPulls || !res.PullRequest.Created || res.Commit == "" {
		t.Fatalf("first enrollment: %+v", res)
	}
	if m, ok := f.Repo(ghOrg + "/" + name); !ok || m.Homepage != "file://"+upDir || m.Private {
		t.Errorf("the mirror repository %+v (found %v): want a public one whose homepage names the upstream", m, ok)
	}
	mirrorURL := res.Mirror.CloneURL
	up := lsRemote(t, "file://"+upDir, nil)
	mirrored := lsRemote(t, mirrorURL, nil)
	if len(up) != len(tags)+2 || mirrored["refs/heads/feature"] == "" {
		t.Fatalf("upstream refs %v", up)
	}
	for name, h := range up {
		if mirrored[name] != h {
			t.Errorf("mirror %s = %q, upstream %q", name, mirrored[name], h)
		}
	}
	if got := lsRemote(t, gitURL(t, f, ghCI), nil)["refs/heads/enroll/"+name]; got != res.Commit {
		t.Errorf("enroll/%s on the CI repository = %q, want %s", name, got, res.Commit)
	}
	pulls := f.Pulls(ghCI)
	if len(pulls) != 1 || pulls[0].Head != "enroll/"+name || pulls[0].Base != "main" || pulls[0].HeadSHA != res.Commit ||
		!strings.Contains(pulls[0].Body, enroll.Marker(name)) || !strings.Contains(pulls[0].Body, "updated by each enrollment run") {
		t.Fatalf("pull requests: %+v", pulls)
	}

	again, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll again: %v", err)
	}
	if again.MirrorCreated || again.Commit != "" || again.PullRequest.Created || again.PullRequest.Number != 1 || len(f.Pulls(ghCI)) != 1 {
		t.Errorf("second enrollment duplicated something: %+v (%d pull requests)", again, len(f.Pulls(ghCI)))
	}
	// A listing that missed the open pull request: creating gets GitHub's
	// 422 "already exists", and the existing one is updated.
	f.Fail("GET /repos/"+ghCI+"/pulls", forgetest.Fault{Status: http.StatusOK, Body: "[]"})
	raced, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll after a stale listing: %v", err)
	}
	if raced.PullRequest.Created || raced.PullRequest.Number != 1 || len(f.Pulls(ghCI)) != 1 || count(f, "POST /repos/"+ghCI+"/pulls") != 2 {
		t.Errorf("enrollment racing another: %+v (%d pull requests, %d creations)", raced.PullRequest, len(f.Pulls(ghCI)), count(f, "POST /repos/"+ghCI+"/pulls"))
	}
	if n := count(f, "POST /orgs/"+ghOrg+"/repos"); n != 1 {
		t.Errorf("%d repository creations; want 1", n)
	}
	// A closed pull request is reopened, not duplicated.
	f.ClosePull(t, ghCI, 1, false)
	reopened, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll after the pull request was closed: %v", err)
	}
	if pulls := f.Pulls(ghCI); !reopened.PullRequest.Reopened || reopened.PullRequest.Number != 1 || len(pulls) != 1 || pulls[0].State != "open" {
		t.Errorf("closed pull request: %+v; pull requests %+v", reopened.PullRequest, pulls)
	}

	// An upstream commit reaches the mirror; a branch deleted upstream
	// leaves it.
	writeFiles(t, upDir, map[string]string{"tests/test_smoke.py": "def test_smoke():\n    pass\n"})
	if err := r.Storer.RemoveReference("refs/heads/feature"); err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	wt.Add("tests/test_smoke.py")
	newHead, err := wt.Commit("Add a smoke test", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	third, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll after an upstream commit: %v", err)
	}
	mirrored = lsRemote(t, mirrorURL, nil)
	if got := mirrored["refs/heads/main"]; got != newHead.String() {
		t.Errorf("mirror main = %s, want upstream's new head %s", got, newHead)
	}
	if _, ok := mirrored["refs/heads/feature"]; ok {
		t.Error("the branch deleted upstream is still in the mirror")
	}
	if pulls := f.Pulls(ghCI); third.Commit == "" || len(pulls) != 1 || pulls[0].HeadSHA != third.Commit || !strings.Contains(pulls[0].Body, "tests/test_smoke.py") {
		t.Errorf("third enrollment: %+v; pull requests %+v", third, pulls)
	}
	e, err := enrollment.Parse("recipe.toml", third.Files["recipe.toml"])
	if err != nil || len(e.Parity) != 1 || e.Parity[0].Status != enrollment.Todo {
		t.Errorf("recipe.toml after the upstream test appeared: %v %+v", err, e)
	}
}

// A mirror owner that is another user than the token's cannot be created
// for: the error says so and nothing is created.
func TestEnrollGitHubOtherUsersMirror(t *testing.T) {
	upDir, name, _ := testenv.RecipeRepo(t, "bonfire")
	f := newGitHub(t, ciRepo(t))
	f.AddUser("someone-else")
	_, err := enroll.Run(context.Background(), enroll.Options{Name: name, Upstream: upDir, Forge: gitHubForge(t, f, ghToken),
		Repo: forge.Repo{Owner: ghOrg, Name: "recipe-test"}, MirrorOwner: "someone-else", WorkDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "someone-else is a user other than the token's (ci-bot)") {
		t.Fatalf("error %v", err)
	}
	if repos, pulls := f.Repos(), f.Pulls(ghCI); len(repos) != 1 || len(pulls) != 0 {
		t.Errorf("something was created: repos %v, pulls %+v", repos, pulls)
	}
}

func TestEnrollGitHubWithoutCreatePermission(t *testing.T) {
	upDir, name, _ := testenv.RecipeRepo(t, "bonfire")
	f := newGitHub(t, ciRepo(t))
	const token = "ghp_no-create-token"
	f.AddToken(token, forgetest.Account{Login: "ci-bot", NoCreate: true})
	_, err := enroll.Run(context.Background(), enroll.Options{Name: name, Upstream: upDir, Forge: gitHubForge(t, f, token),
		Repo: forge.Repo{Owner: ghOrg, Name: "recipe-test"}, WorkDir: t.TempDir()})
	if err == nil {
		t.Fatal("enrollment succeeded without permission to create the mirror")
	}
	for _, want := range []string{"403", "$GH_TOKEN", "administration: write", ghOrg + "/" + name} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), token) {
		t.Error("the error shows the token")
	}
	var ie *enroll.InputError
	if errors.As(err, &ie) {
		t.Error("a failed creation is reported as found before anything was tried")
	}
	if repos, pulls := f.Repos(), f.Pulls(ghCI); len(repos) != 1 || len(pulls) != 0 {
		t.Errorf("something was created: repos %v, pulls %+v", repos, pulls)
	}
	if refs := lsRemote(t, gitURL(t, f, ghCI), nil); refs["refs/heads/enroll/"+name] != "" {
		t.Error("the enrollment branch was pushed")
	}
}

// A CI repository the token may only read is found in the preflight:
// nothing is created.
func TestEnrollGitHubReadOnlyCIRepository(t *testing.T) {
	upDir, name, _ := testenv.RecipeRepo(t, "bonfire")
	f := forgetest.NewGitHub(t)
	f.AddToken(ghToken, forgetest.Account{Login: "ci-bot"})
	f.AddOrg(ghOrg)
	f.AddRepo(t, ghOrg, "recipe-test", forgetest.RepoOptions{Source: ciRepo(t), ReadOnly: true})
	_, err := enroll.Run(context.Background(), enroll.Options{Name: name, Upstream: upDir, Forge: gitHubForge(t, f, ghToken),
		Repo: forge.Repo{Owner: ghOrg, Name: "recipe-test"}, WorkDir: t.TempDir()})
	var ie *enroll.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "the token cannot push to "+ghCI) {
		t.Fatalf("error %v", err)
	}
	if repos := f.Repos(); len(repos) != 1 || count(f, "POST /orgs/"+ghOrg+"/repos") != 0 {
		t.Errorf("something was created: repos %v", repos)
	}
}
