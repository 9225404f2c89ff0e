package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
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

// A token the forge refuses the pending status (a fork's pull request
// gets a read-only one) does not stop the run: it is tested, its report
// written, and the refusal said; the run exits 1 only because publishing
// failed. A wrong repository still stops it before anything is deployed.
func TestRunWithReadOnlyTokenTestsAnyway(t *testing.T) {
	testenv.Swarm(t)
	g := testenv.GiteaServer(t)
	repo, pr, head := g.PullRequest(t)
	t.Setenv("RT_FORGE_TOKEN", g.User(t, "readonly", "read:repository", "read:issue", "read:user"))
	t.Setenv("GITHUB_EVENT_PATH", "")
	example := filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example")
	out := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--recipe", example, "--stages", "install", "--out", out,
		"--domain-suffix", "cli-forge-ro.test", "--lock-dir", t.TempDir(), "--no-janitor",
		"--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin+"/"+repo, "--pr", strconv.Itoa(pr), "--token-env", "RT_FORGE_TOKEN")
	if code != exitFailed || !strings.Contains(stderr, "warning: not reporting the status to the forge, testing all the same") ||
		!strings.Contains(stderr, "write:repository") || !strings.Contains(stderr, "$RT_FORGE_TOKEN") ||
		!strings.Contains(stderr, "[install] ready") || !strings.Contains(stderr, "write:issue") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	res, err := report.ReadJSON(filepath.Join(out, "results.json"))
	if err != nil || res.Status != results.Pass {
		t.Fatalf("results: %+v, %v", res, err)
	}
	if md, err := os.ReadFile(filepath.Join(out, "report.md")); err != nil || !strings.Contains(string(md), "example: L1 of 5") {
		t.Errorf("report.md: %v\n%s", err, md)
	}
	var combined struct{ Statuses []struct{ Context string } }
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/commits/%s/status", g.Admin, repo, head), &combined)
	if len(combined.Statuses) != 0 {
		t.Errorf("statuses %+v", combined.Statuses)
	}

	t.Setenv("RT_ADMIN_TOKEN", g.Token) // a token that may: the repository is what is wrong
	code, _, stderr = runCLI(t, "run", "--recipe", example, "--stages", "install", "--out", t.TempDir(),
		"--domain-suffix", "cli-forge-ro.test", "--lock-dir", t.TempDir(), "--no-janitor",
		"--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin+"/no-such-repo", "--sha", head, "--token-env", "RT_ADMIN_TOKEN")
	if code != exitConfig || !strings.Contains(stderr, "404") || !strings.Contains(stderr, "no-such-repo") || strings.Contains(stderr, "[install] start") {
		t.Fatalf("wrong repository: exit %d\n%s", code, stderr)
	}
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	list, err := api.ServiceList(t.Context(), client.ServiceListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Items {
		if strings.Contains(s.Spec.Name, "cli-forge-ro_test") {
			t.Errorf("service %s is left", s.Spec.Name)
		}
	}
	// Missing token, missing repo: usage errors before anything else.
	t.Setenv("RT_EMPTY", "")
	for _, args := range [][]string{
		{"--forge", "gitea", "--forge-url", g.URL, "--repo", "a/b", "--pr", "1", "--token-env", "RT_EMPTY"},
		{"--forge", "github", "--token-env", "RT_FORGE_TOKEN"},
		{"--forge", "gitlab"},
		{"--forge", "gitea", "--forge-url", "http://git.example.org", "--repo", "a/b", "--pr", "1", "--token-env", "RT_FORGE_TOKEN"},
	} {
		code, _, stderr := runCLI(t, append([]string{"run", "--recipe", example, "--out", t.TempDir()}, args...)...)
		if code != exitConfig || !strings.HasPrefix(stderr, "recipe-test: ") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
}
