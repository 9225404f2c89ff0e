package enroll_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/cc-ci/recipe-test/v2/internal/enroll"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopGitea()
	os.Exit(code)
}

// giteaSetup is a Gitea server with a CI organisation holding the CI
// repository (README and the example enrollment) and an upstream user
// holding a real recipe with its tags (bonfire from the corpus, else
// the bundled upgrade fixture).
type giteaSetup struct {
	g           *testenv.Gitea
	org         string
	ci          forge.Repo
	name        string // the recipe: bonfire from the corpus, else the upgrade fixture
	upstream    string // its clone URL
	upstreamOwn string
	tags        []string
}

func newGiteaSetup(t *testing.T) *giteaSetup {
	t.Helper()
	g := testenv.GiteaServer(t)
	s := &giteaSetup{g: g, org: g.Org(t)}
	s.ci = forge.Repo{Owner: s.org, Name: "recipe-test"}
	g.Import(t, s.org, s.ci.Name, ciRepo(t))
	s.upstreamOwn = fmt.Sprintf("author-%s", s.org)
	g.User(t, s.upstreamOwn, "read:user")
	dir, name, tags := testenv.RecipeRepo(t, "bonfire")
	s.name, s.tags = name, tags
	s.upstream = g.Import(t, s.upstreamOwn, name, dir)
	return s
}

func (s *giteaSetup) enroller(t *testing.T, token string) forge.Forge {
	t.Helper()
	f, err := forge.New(context.Background(), forge.Options{Kind: "gitea", BaseURL: s.g.URL, Token: token, TokenSource: "$TEST_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (s *giteaSetup) options(t *testing.T, name, upstream string) enroll.Options {
	return enroll.Options{Name: name, Upstream: upstream, Forge: s.enroller(t, s.g.Token), Repo: s.ci, RecipesDir: t.TempDir(), WorkDir: t.TempDir()}
}

func (s *giteaSetup) auth() *githttp.BasicAuth {
	return &githttp.BasicAuth{Username: s.g.Admin, Password: s.g.Token}
}

// raw reads a file of repo at ref; ok is false on 404.
func (s *giteaSetup) raw(t *testing.T, repo forge.Repo, path, ref string) (string, bool) {
	t.Helper()
	return s.g.Raw(t, repo.String(), path, ref)
}

type giteaPR struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	State  string `json:"state"`
	Head   struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
}

func (s *giteaSetup) pulls(t *testing.T) []giteaPR {
	t.Helper()
	var prs []giteaPR
	s.g.GetJSON(t, "/repos/"+s.ci.String()+"/pulls?state=all&limit=50", &prs)
	return prs
}

func (s *giteaSetup) orgRepos(t *testing.T) []string {
	t.Helper()
	var repos []struct{ Name string }
	s.g.GetJSON(t, "/orgs/"+s.org+"/repos?limit=50", &repos)
	var names []string
	for _, r := range repos {
		names = append(names, r.Name)
	}
	return names
}

func (s *giteaSetup) branchTip(t *testing.T, branch string) (string, bool) {
	t.Helper()
	refs := lsRemote(t, s.g.URL+"/"+s.ci.String()+".git", s.auth())
	h, ok := refs["refs/heads/"+branch]
	return h, ok
}

// TestEnrollGitea enrolls a real recipe against a real Gitea: the mirror
// with its tags, the branch with the scaffold, the pull request; again,
// with nothing duplicated; after an upstream commit, which the mirror and
// the scaffold pick up; and after a maintainer's commit on the branch,
// which is left alone.
func TestEnrollGitea(t *testing.T) {
	s := newGiteaSetup(t)
	ctx := context.Background()
	o := s.options(t, s.name, s.upstream)
	o.Floor = &results.Run{Status: results.Fail, Recipe: s.name, Level: 0, Stages: []results.Stage{{Name: "install", Status: results.Fail, Reason: "image ghcr.io/bonfire-networks/bonfire cannot be pulled"}}}

	upRepo := "/repos/" + s.upstreamOwn + "/" + s.name
	s.g.Do(t, http.MethodPost, upRepo+"/branches", map[string]any{"new_branch_name": "feature", "old_branch_name": "main"}, nil, http.StatusCreated)
	res, err := enroll.Run(ctx, o)
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	mirror := forge.Repo{Owner: s.org, Name: s.name}
	if !res.MirrorCreated || !res.MirrorPulls || res.Mirror.Repo != mirror || res.Commit == "" || !res.PullRequest.Created || res.Branch != "enroll/"+s.name {
		t.Fatalf("first enrollment: %+v", res)
	}

	// The mirror: a pull mirror of upstream with every branch and tag.
	var m struct {
		Mirror         bool   `json:"mirror"`
		OriginalURL    string `json:"original_url"`
		MirrorInterval string `json:"mirror_interval"`
	}
	s.g.GetJSON(t, "/repos/"+mirror.String(), &m)
	if !m.Mirror || m.OriginalURL != s.upstream || m.MirrorInterval != "8h0m0s" {
		t.Errorf("mirror %s: %+v; want a pull mirror of %s every 8h", mirror, m, s.upstream)
	}
	up := lsRemote(t, s.upstream, s.auth())
	mirrored := lsRemote(t, res.Mirror.CloneURL, s.auth())
	for _, tag := range s.tags {
		if h := up["refs/tags/"+tag]; h == "" || mirrored["refs/tags/"+tag] != h {
			t.Errorf("tag %s: upstream %q, mirror %q", tag, h, mirrored["refs/tags/"+tag])
		}
	}
	if mirrored["refs/heads/main"] != up["refs/heads/main"] || mirrored["refs/heads/feature"] == "" {
		t.Errorf("mirror branches %v, upstream %v", mirrored, up)
	}

	// The branch holds the scaffold, which the strict loader accepts.
	toml, ok := s.raw(t, s.ci, "recipes/"+s.name+"/recipe.toml", res.Branch)
	if !ok {
		t.Fatal("recipes/" + s.name + "/recipe.toml is not on the branch")
	}
	e, err := enrollment.Parse("recipe.toml", []byte(toml))
	if err != nil {
		t.Fatalf("scaffold recipe.toml: %v\n%s", err, toml)
	}
	if e.Recipe.Upstream != s.upstream || e.Recipe.Mirror != res.Mirror.CloneURL || e.Recipe.Name != s.name {
		t.Errorf("[recipe] %+v; want upstream %s, mirror %s", e.Recipe, s.upstream, res.Mirror.CloneURL)
	}
	parity, ok := s.raw(t, s.ci, "recipes/"+s.name+"/PARITY.md", res.Branch)
	if !ok || parity != e.ParityMarkdown(s.name) {
		t.Errorf("PARITY.md on the branch is not what recipe.toml generates:\n%s", parity)
	}
	if _, ok := s.raw(t, s.ci, "recipes/"+s.name+"/"+s.name+"_test.go", res.Branch); !ok {
		t.Error("the first Go test is not on the branch")
	}
	if _, ok := s.raw(t, s.ci, "recipes/example/recipe.toml", res.Branch); !ok {
		t.Error("the branch lost the existing example enrollment")
	}
	for _, ver := range s.tags {
		if !strings.Contains(toml, ver) {
			t.Errorf("recipe.toml does not list version %s", ver)
		}
	}

	// One pull request, into the default branch, describing the scaffold.
	prs := s.pulls(t)
	if len(prs) != 1 || prs[0].Number != res.PullRequest.Number || prs[0].Head.Ref != "enroll/"+s.name || prs[0].Base.Ref != "main" || prs[0].State != "open" {
		t.Fatalf("pull requests: %+v", prs)
	}
	for _, want := range []string{enroll.Marker(s.name), "### Detected", "- **Lint:**", "### To fill in", "### Generic floor", "cannot be pulled", s.upstream, "kept in sync by the forge", s.tags[len(s.tags)-1]} {
		if !strings.Contains(prs[0].Body, want) {
			t.Errorf("pull request body lacks %q:\n%s", want, prs[0].Body)
		}
	}
	tip, _ := s.branchTip(t, res.Branch)
	if tip != res.Commit {
		t.Errorf("branch tip %s, want the scaffold commit %s", tip, res.Commit)
	}

	// Again: the mirror is synced, nothing is committed, the same PR is updated.
	again, err := enroll.Run(ctx, s.options(t, s.name, s.upstream))
	if err != nil {
		t.Fatalf("enroll again: %v", err)
	}
	if again.MirrorCreated || again.Commit != "" || again.PullRequest.Created || again.PullRequest.Number != res.PullRequest.Number {
		t.Errorf("second enrollment duplicated something: %+v", again)
	}
	if got := s.pulls(t); len(got) != 1 {
		t.Errorf("%d pull requests after enrolling twice", len(got))
	}
	if tip2, _ := s.branchTip(t, res.Branch); tip2 != tip {
		t.Errorf("branch moved from %s to %s though nothing changed", tip, tip2)
	}
	if repos := s.orgRepos(t); len(repos) != 2 {
		t.Errorf("organisation repositories after enrolling twice: %v; want recipe-test and %s", repos, s.name)
	}
	if got := s.pulls(t)[0].Body; !strings.Contains(got, "cannot be pulled") || strings.Contains(got, "No generic floor run") {
		t.Errorf("an update without a floor result dropped the one the pull request showed:\n%s", got)
	}

	// An upstream commit reaches the mirror and the scaffold: it adds a
	// test. A branch deleted upstream leaves the mirror.
	s.g.Do(t, http.MethodDelete, upRepo+"/branches/feature", nil, nil, http.StatusNoContent)
	content := base64.StdEncoding.EncodeToString([]byte("def test_smoke():\n    assert True\n"))
	s.g.Do(t, http.MethodPost, upRepo+"/contents/tests/test_smoke.py",
		map[string]any{"content": content, "message": "Add a smoke test", "branch": "main"}, nil, http.StatusCreated)
	newHead := lsRemote(t, s.upstream, s.auth())["refs/heads/main"]
	o3 := s.options(t, s.name, s.upstream)
	o3.Floor = &results.Run{Status: results.Pass, Recipe: s.name, Level: 1, Stages: []results.Stage{{Name: "install", Status: results.Pass, Note: "installed at the new head"}}}
	third, err := enroll.Run(ctx, o3)
	if err != nil {
		t.Fatalf("enroll after an upstream commit: %v", err)
	}
	mirrored = lsRemote(t, res.Mirror.CloneURL, s.auth())
	if got := mirrored["refs/heads/main"]; got != newHead {
		t.Errorf("mirror main is %s after the sync, want upstream's new head %s", got, newHead)
	}
	if _, ok := mirrored["refs/heads/feature"]; ok {
		t.Error("the branch deleted upstream is still in the mirror")
	}
	if third.Commit == "" || third.PullRequest.Number != res.PullRequest.Number || third.PullRequest.Created {
		t.Errorf("enrollment after an upstream change: %+v", third)
	}
	toml, _ = s.raw(t, s.ci, "recipes/"+s.name+"/recipe.toml", res.Branch)
	if e, err = enrollment.Parse("recipe.toml", []byte(toml)); err != nil {
		t.Fatal(err)
	}
	if len(e.Parity) != 1 || e.Parity[0].Upstream != "tests/test_smoke.py" || e.Parity[0].Status != enrollment.Todo {
		t.Errorf("parity rows after upstream added a test: %+v", e.Parity)
	}
	prs = s.pulls(t)
	if len(prs) != 1 || !strings.Contains(prs[0].Body, "tests/test_smoke.py") || !strings.Contains(prs[0].Body, "installed at the new head") ||
		strings.Contains(prs[0].Body, "cannot be pulled") {
		t.Errorf("pull requests after the upstream change: %d; body:\n%s", len(prs), prs[0].Body)
	}

	// A maintainer's commit on the branch is never overwritten.
	s.g.Do(t, http.MethodPost, "/repos/"+s.ci.String()+"/contents/recipes/"+s.name+"/notes.md",
		map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("hooks: todo\n")), "message": "Maintainer notes", "branch": res.Branch}, nil, http.StatusCreated)
	tip, _ = s.branchTip(t, res.Branch)
	fourth, err := enroll.Run(ctx, s.options(t, s.name, s.upstream))
	if err != nil {
		t.Fatalf("enroll after a maintainer's commit: %v", err)
	}
	if len(fourth.Foreign) != 1 || !strings.Contains(fourth.Foreign[0], "Maintainer notes") || fourth.Commit != "" {
		t.Errorf("maintainer's commit: %+v", fourth)
	}
	if tip2, _ := s.branchTip(t, res.Branch); tip2 != tip {
		t.Errorf("the branch moved from the maintainer's commit %s to %s", tip, tip2)
	}
	if prs = s.pulls(t); len(prs) != 1 || !strings.Contains(prs[0].Body, "Maintainer notes") {
		t.Errorf("the pull request does not say the branch was left alone:\n%s", prs[0].Body)
	}

	// A closed pull request is reopened, not duplicated.
	s.g.Do(t, http.MethodPatch, fmt.Sprintf("/repos/%s/pulls/%d", s.ci, res.PullRequest.Number), map[string]any{"state": "closed"}, nil, http.StatusCreated)
	fifth, err := enroll.Run(ctx, s.options(t, s.name, s.upstream))
	if err != nil {
		t.Fatalf("enroll after the pull request was closed: %v", err)
	}
	if !fifth.PullRequest.Reopened || fifth.PullRequest.Number != res.PullRequest.Number {
		t.Errorf("closed pull request: %+v", fifth.PullRequest)
	}
	if prs = s.pulls(t); len(prs) != 1 || prs[0].State != "open" {
		t.Errorf("pull requests after reopening: %+v", prs)
	}
}

// nothingCreated checks that a failed enrollment left no mirror, branch
// or pull request.
func (s *giteaSetup) nothingCreated(t *testing.T, name string) {
	t.Helper()
	if repos := s.orgRepos(t); len(repos) != 1 {
		t.Errorf("organisation repositories: %v; want only recipe-test", repos)
	}
	if _, ok := s.branchTip(t, enroll.Branch(name)); ok {
		t.Errorf("branch %s was created", enroll.Branch(name))
	}
	if prs := s.pulls(t); len(prs) != 0 {
		t.Errorf("pull requests were opened: %+v", prs)
	}
}

func TestEnrollGiteaBadInput(t *testing.T) {
	s := newGiteaSetup(t)
	ctx := context.Background()

	// A README-only repository is not a recipe.
	notRecipe := t.TempDir()
	writeFiles(t, notRecipe, map[string]string{"README.md": "# not a recipe\n"})
	testenv.CommitAll(t, notRecipe, "notes")
	notRecipeURL := s.g.Import(t, s.upstreamOwn, "notes", notRecipe)

	// A user who may push to the CI repository but whose token cannot
	// create repositories.
	bot := "bot-" + s.org
	botToken := s.g.User(t, bot, "read:repository", "read:organization", "write:issue", "read:user")
	s.g.Do(t, http.MethodPut, "/repos/"+s.ci.String()+"/collaborators/"+bot, map[string]any{"permission": "write"}, nil, http.StatusNoContent)

	localRecipes := t.TempDir()
	writeFiles(t, localRecipes, map[string]string{s.name + "/recipe.toml": "[recipe]\nupstream = \"https://example.org/recipe.git\"\n"})

	cases := []struct {
		name   string
		opts   func() enroll.Options
		wants  []string
		record string
	}{
		{"upstream missing", func() enroll.Options { return s.options(t, "ghost", s.g.URL+"/nobody/ghost.git") },
			[]string{"upstream " + s.g.URL + "/nobody/ghost.git cannot be cloned"}, "ghost"},
		{"not a recipe", func() enroll.Options { return s.options(t, "notes", notRecipeURL) },
			[]string{"/notes.git is not a recipe: compose.yml: missing: every recipe has a compose.yml"}, "notes"},
		{"clash with the CI repository's enrollment", func() enroll.Options { return s.options(t, "example", s.upstream) },
			[]string{"already enrolled", "recipes/example/recipe.toml"}, "example"},
		{"clash with a local enrollment", func() enroll.Options {
			o := s.options(t, s.name, s.upstream)
			o.RecipesDir = localRecipes
			return o
		}, []string{"already enrolled", localRecipes}, s.name},
		{"bad name", func() enroll.Options { return s.options(t, "Bon Fire", s.upstream) }, []string{`recipe name "Bon Fire"`}, "Bon Fire"},
		{"credentials in the upstream URL", func() enroll.Options {
			return s.options(t, s.name, strings.Replace(s.upstream, "://", "://"+s.g.Admin+":"+s.g.Token+"@", 1))
		}, []string{"--upstream carries credentials"}, s.name},
		{"token cannot create repositories", func() enroll.Options {
			o := s.options(t, s.name, s.upstream)
			o.Forge = s.enroller(t, botToken)
			return o
		}, []string{"403", "$TEST_TOKEN", "write:repository"}, s.name},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := enroll.Run(ctx, c.opts())
			if err == nil {
				t.Fatal("enrollment succeeded")
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if c.name != "token cannot create repositories" {
				var ie *enroll.InputError
				if !errors.As(err, &ie) {
					t.Errorf("error %T is not an input error", err)
				}
			}
			if strings.Contains(err.Error(), os.TempDir()) && !strings.Contains(err.Error(), localRecipes) {
				t.Errorf("error %q names a temporary folder", err)
			}
			if strings.Contains(err.Error(), s.g.Token) || strings.Contains(err.Error(), botToken) {
				t.Error("the error shows a token")
			}
			s.nothingCreated(t, c.record)
		})
	}
}

// A repository of the mirror's name that is not this upstream's pull
// mirror is someone else's: enrollment stops before touching anything.
func TestEnrollGiteaMirrorNameTaken(t *testing.T) {
	s := newGiteaSetup(t)
	other := t.TempDir()
	writeFiles(t, other, map[string]string{"README.md": "# someone's project\n"})
	testenv.CommitAll(t, other, "theirs")
	s.g.Import(t, s.org, s.name, other)
	_, err := enroll.Run(context.Background(), s.options(t, s.name, s.upstream))
	var ie *enroll.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), s.org+"/"+s.name+" exists and is not a pull mirror") {
		t.Fatalf("error %v", err)
	}
	if _, ok := s.branchTip(t, enroll.Branch(s.name)); ok {
		t.Error("the enrollment branch was pushed")
	}
	if prs := s.pulls(t); len(prs) != 0 {
		t.Errorf("pull requests were opened: %+v", prs)
	}
}
