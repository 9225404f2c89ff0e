package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopGitea()
	os.Exit(code)
}

// A run with --forge gitea sets the status on the PR's head (found through
// the API from --pr alone) and posts one sticky comment, which a second run
// edits; the token appears in no output.
func TestRunReportsToGitea(t *testing.T) {
	testenv.Swarm(t)
	g := testenv.GiteaServer(t)
	repo, pr, head := g.PullRequest(t)
	t.Setenv("RT_FORGE_TOKEN", g.Token)
	for _, k := range []string{"GITHUB_EVENT_PATH", "GITHUB_SHA", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_RUN_ID"} {
		t.Setenv(k, "")
	}
	example := filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example")
	out := t.TempDir()
	for i := range 2 {
		code, _, stderr := runCLI(t, "run", "--recipe", example, "--stages", "install", "--out", out,
			"--domain-suffix", "cli-forge.test", "--lock-dir", t.TempDir(),
			"--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin+"/"+repo, "--pr", strconv.Itoa(pr),
			"--token-env", "RT_FORGE_TOKEN", "--run-url", "https://ci.example.org/runs/"+strconv.Itoa(i))
		if code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", i, code, stderr)
		}
		verb := map[int]string{0: "comment posted", 1: "comment updated"}[i]
		if !strings.Contains(stderr, "status recipe-test/example: pending on") || !strings.Contains(stderr, verb) ||
			!strings.Contains(stderr, "status recipe-test/example: success") {
			t.Errorf("run %d stderr:\n%s", i, stderr)
		}
		if strings.Contains(stderr, g.Token) {
			t.Error("the token is in the progress output")
		}
	}
	var comments []struct{ Body string }
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, repo, pr), &comments)
	if len(comments) != 1 || !strings.HasPrefix(comments[0].Body, forge.Marker("example")+"\n### ✅ example: L1 of 5: installs") ||
		!strings.Contains(comments[0].Body, "https://ci.example.org/runs/1") {
		t.Errorf("comments: %+v", comments)
	}
	var combined struct {
		State    string
		Statuses []struct{ Context, Status, Description string }
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/commits/%s/status", g.Admin, repo, head), &combined)
	if combined.State != "success" || len(combined.Statuses) != 1 || combined.Statuses[0].Context != "recipe-test/example" ||
		!strings.HasPrefix(combined.Statuses[0].Description, "example: L1 of 5") {
		t.Errorf("status on the PR head: %+v", combined)
	}
	for _, name := range []string{"results.json", "junit.xml", "report.md"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || strings.Contains(string(data), g.Token) {
			t.Errorf("%s: %v, or it holds the token", name, err)
		}
	}
}

// A token that may not set statuses stops the run before anything is
// deployed: exit 2, naming the missing scope.
func TestRunWithReadOnlyTokenDeploysNothing(t *testing.T) {
	testenv.Swarm(t)
	g := testenv.GiteaServer(t)
	repo, pr, _ := g.PullRequest(t)
	t.Setenv("RT_FORGE_TOKEN", g.User(t, "readonly", "read:repository", "read:issue"))
	t.Setenv("GITHUB_EVENT_PATH", "")
	example := filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example")
	code, _, stderr := runCLI(t, "run", "--recipe", example, "--out", t.TempDir(),
		"--domain-suffix", "cli-forge-ro.test", "--lock-dir", t.TempDir(), "--no-janitor",
		"--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin+"/"+repo, "--pr", strconv.Itoa(pr), "--token-env", "RT_FORGE_TOKEN")
	if code != exitConfig || !strings.Contains(stderr, "write:repository") || !strings.Contains(stderr, "$RT_FORGE_TOKEN") || strings.Contains(stderr, "[install]") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	res, err := api.ServiceList(t.Context(), client.ServiceListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Items {
		if strings.Contains(s.Spec.Name, "cli-forge-ro_test") {
			t.Errorf("service %s was deployed", s.Spec.Name)
		}
	}
	// Missing token, missing repo: usage errors before anything else.
	t.Setenv("RT_EMPTY", "")
	for _, args := range [][]string{
		{"--forge", "gitea", "--forge-url", g.URL, "--repo", "a/b", "--pr", "1", "--token-env", "RT_EMPTY"},
		{"--forge", "github", "--token-env", "RT_FORGE_TOKEN"},
		{"--forge", "gitlab"},
	} {
		code, _, stderr := runCLI(t, append([]string{"run", "--recipe", example, "--out", t.TempDir()}, args...)...)
		if code != exitConfig || !strings.HasPrefix(stderr, "recipe-test: ") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}
