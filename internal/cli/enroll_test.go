package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// ciRepository imports a CI repository holding a README into a fresh
// organisation and returns OWNER/NAME.
func ciRepository(t *testing.T, g *testenv.Gitea) string {
	t.Helper()
	org := g.Org(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# recipe-test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.CommitAll(t, dir, "CI repository")
	g.Import(t, org, "recipe-test", dir)
	return org + "/recipe-test"
}

// `recipe-test enroll` against a real Gitea: the first run creates the
// mirror, the branch and the pull request, whose body carries the floor
// result given with --floor; the second changes nothing and updates the
// pull request; the scaffold on the branch passes `recipe-test parity
// --check`.
func TestEnrollCommand(t *testing.T) {
	g := testenv.GiteaServer(t)
	ci := ciRepository(t, g)
	owner := "author-" + strings.Split(ci, "/")[0]
	g.User(t, owner, "read:user")
	dir, name, tags := testenv.RecipeRepo(t, "llamenos")
	upstream := g.Import(t, owner, name, dir)
	floor := filepath.Join(t.TempDir(), "results.json")
	data, _ := json.Marshal(&results.Run{Status: results.Fail, Recipe: name, Error: "the swarm has no node that can pull the app's image"})
	if err := os.WriteFile(floor, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_GITEA_TOKEN", g.Token)
	args := []string{"enroll", name, "--upstream", upstream, "--forge", "gitea", "--forge-url", g.URL, "--repo", ci,
		"--token-env", "TEST_GITEA_TOKEN", "--recipes-dir", t.TempDir(), "--floor", floor}

	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	org := strings.Split(ci, "/")[0]
	for _, want := range []string{"mirror created: " + org + "/" + name, "branch enroll/" + name + ": scaffold committed", "pull request opened: " + ci + "#1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	var prs []struct{ Body string }
	g.GetJSON(t, "/repos/"+ci+"/pulls?state=all", &prs)
	if len(prs) != 1 || !strings.Contains(prs[0].Body, "could not start: the swarm has no node") {
		t.Errorf("the pull request does not carry the floor result: %+v", prs)
	}
	code, stdout, stderr = runCLI(t, args[:len(args)-2]...)
	if code != exitOK {
		t.Fatalf("again: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"mirror synced: " + org + "/" + name, "branch enroll/" + name + ": scaffold unchanged", "pull request updated: " + ci + "#1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("second run: stdout lacks %q:\n%s", want, stdout)
		}
	}
	g.GetJSON(t, "/repos/"+ci+"/pulls?state=all", &prs)
	wantVersions := "No release tags"
	if len(tags) > 0 {
		wantVersions = tags[len(tags)-1]
	}
	if len(prs) != 1 || !strings.Contains(prs[0].Body, wantVersions) || !strings.Contains(prs[0].Body, "could not start: the swarm has no node") {
		t.Errorf("pull requests: %+v", prs)
	}

	// The scaffold as pushed passes the parity check.
	recipes := t.TempDir()
	for _, f := range []string{"recipe.toml", "PARITY.md", name + "_test.go"} {
		content, ok := g.Raw(t, ci, "recipes/"+name+"/"+f, "enroll/"+name)
		if !ok {
			t.Fatalf("recipes/%s/%s is not on the branch", name, f)
		}
		if err := os.MkdirAll(filepath.Join(recipes, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(recipes, name, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, errOut := runCLI(t, "parity", name, "--check", "--recipes-dir", recipes); code != exitOK {
		t.Errorf("parity --check on the pushed scaffold: exit %d\n%s%s", code, out, errOut)
	}
}

// Bad command lines and bad upstreams exit 2 with a message naming what
// is wrong, and create nothing.
func TestEnrollCommandErrors(t *testing.T) {
	g := testenv.GiteaServer(t)
	ci := ciRepository(t, g)
	t.Setenv("TEST_GITEA_TOKEN", g.Token)
	t.Setenv("EMPTY_TOKEN", "")
	notRecipe := t.TempDir()
	if err := os.WriteFile(filepath.Join(notRecipe, "README.md"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.CommitAll(t, notRecipe, "notes")
	recipeDir, recipeName, _ := testenv.RecipeRepo(t, "gaseous")
	base := []string{"--forge", "gitea", "--forge-url", g.URL, "--repo", ci, "--token-env", "TEST_GITEA_TOKEN", "--recipes-dir", t.TempDir()}
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no forge":     {[]string{"enroll", "x", "--upstream", notRecipe}, "enroll needs a forge"},
		"no upstream":  {append([]string{"enroll", "x"}, base...), "--upstream is required"},
		"empty token":  {[]string{"enroll", "x", "--upstream", notRecipe, "--forge", "gitea", "--forge-url", g.URL, "--repo", ci, "--token-env", "EMPTY_TOKEN"}, "$EMPTY_TOKEN is empty"},
		"not a recipe": {append([]string{"enroll", "notes", "--upstream", notRecipe}, base...), "compose.yml"},
		"bad name":     {append([]string{"enroll", "Notes!", "--upstream", notRecipe}, base...), `recipe name "Notes!"`},
		"bad floor":    {append([]string{"enroll", "notes", "--upstream", notRecipe, "--floor", "/nonexistent/results.json"}, base...), "--floor"},
		"missing CI":   {[]string{"enroll", recipeName, "--upstream", recipeDir, "--forge", "gitea", "--forge-url", g.URL, "--repo", "nobody/nothing", "--token-env", "TEST_GITEA_TOKEN"}, "the CI repository nobody/nothing was not found"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, c.args...)
			if code != exitConfig || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q (stdout %q)", code, stderr, exitConfig, c.want, stdout)
			}
			if strings.Contains(stderr, g.Token) {
				t.Error("the token is in the error")
			}
		})
	}
	var repos []struct{ Name string }
	g.GetJSON(t, "/orgs/"+strings.Split(ci, "/")[0]+"/repos", &repos)
	var prs []struct{ Number int }
	g.GetJSON(t, "/repos/"+ci+"/pulls?state=all", &prs)
	if len(repos) != 1 || len(prs) != 0 {
		t.Errorf("after the failures: repositories %+v, pull requests %+v", repos, prs)
	}
}
