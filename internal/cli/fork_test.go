package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The action on a fork's pull request, whose token is read-only: the
// refused status is a warning annotation, the recipe is tested, and the
// report goes to the step summary, the outputs and the results folder.
func TestActionWithReadOnlyToken(t *testing.T) {
	testenv.Swarm(t)
	g := testenv.GiteaServer(t)
	repo, pr, head := g.PullRequest(t)
	dir := t.TempDir()
	event := writeFile(t, dir, "event.json", pullRequestEvent(pr, head))
	out := filepath.Join(dir, "results")
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITEA_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": event, "GITHUB_REPOSITORY": g.Admin + "/" + repo, "GITHUB_SERVER_URL": g.URL,
		"GITHUB_SHA": head, "GITHUB_RUN_ID": "79",
		"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
		"INPUT_RECIPE": filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"),
		"INPUT_STAGES": "install", "INPUT_DOMAIN-SUFFIX": "cli-action-ro.test", "INPUT_OUT": out,
		"INPUT_TOKEN": g.User(t, "fork-reader", "read:repository", "read:issue", "read:user"), "INPUT_ENROLL": "false",
		"INPUT_TIMEOUT": "2m", "RECIPE_TEST_LOCK_DIR": filepath.Join(dir, "locks"),
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	code, stdout, stderr := runCLI(t, "action")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"::warning::not reporting the status to the forge, testing all the same", "write:repository",
		"::group::install", "[install] ready", "::warning::publishing the report:", "write:issue"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if outputs := readOutputs(t, env["GITHUB_OUTPUT"]); outputs["status"] != "pass" || outputs["comment-url"] != "" {
		t.Errorf("outputs %v", outputs)
	}
	if summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"]); !strings.HasPrefix(string(summary), "### ✅ example: L1 of 5") {
		t.Errorf("step summary:\n%s", summary)
	}
	for _, name := range []string{"results.json", "junit.xml", "report.md"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
	// What the publishing job needs of the event, beside the results.
	if ev, err := forge.ReadEvent(filepath.Join(out, "event.json")); err != nil || ev.PR != pr || ev.HeadSHA != head {
		t.Errorf("saved event: %+v, %v", ev, err)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pullRequestEvent(pr int, head string) string {
	return fmt.Sprintf(`{"action":"synchronize","number":%d,"pull_request":{"number":%d,"head":{"sha":%q,"ref":"change"},"base":{"ref":"main"}}}`, pr, pr, head)
}

// workflowRunEvent is the payload of a workflow_run job after the
// pull_request run of a fork's pull request: GitHub names no pull request.
func workflowRunEvent(head string, prs ...int) string {
	var list []string
	for _, n := range prs {
		list = append(list, fmt.Sprintf(`{"number":%d,"head":{"sha":%q}}`, n, head))
	}
	return fmt.Sprintf(`{"action":"completed","workflow_run":{"id":81,"event":"pull_request","head_sha":%q,"html_url":"https://git.example.org/ci/actions/runs/81","pull_requests":[%s]}}`,
		head, strings.Join(list, ","))
}

// publish, in a workflow_run job, posts a saved run's comment and status
// on the tested commit, linking to the tested run; the pull request a
// saved event names is believed only when its head is that commit.
func TestPublishFromSavedResults(t *testing.T) {
	g := testenv.GiteaServer(t)
	repo, pr, head := g.PullRequest(t)
	t.Setenv("RT_FORGE_TOKEN", g.Token)
	t.Setenv("GITHUB_ACTIONS", "")
	dir := t.TempDir()
	run := &results.Run{Status: results.Pass, Recipe: "example", Level: 1, RunURL: "https://evil.example/phish",
		Stages: []results.Stage{{Name: "install", Status: results.Pass, DurationS: 3}}}
	data, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	from := writeFile(t, dir, "results.json", string(data))
	writeFile(t, dir, "event.json", pullRequestEvent(pr, head))
	t.Setenv("GITHUB_EVENT_PATH", writeFile(t, t.TempDir(), "event.json", workflowRunEvent(head)))
	args := []string{"publish", "--from", from, "--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin + "/" + repo, "--token-env", "RT_FORGE_TOKEN"}
	code, _, stderr := runCLI(t, args...)
	if code != exitOK || !strings.Contains(stderr, "comment posted") || !strings.Contains(stderr, "status recipe-test/example: success") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var comments []struct{ Body string }
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, repo, pr), &comments)
	if len(comments) != 1 || !strings.HasPrefix(comments[0].Body, forge.Marker("example")) ||
		!strings.Contains(comments[0].Body, "https://git.example.org/ci/actions/runs/81") || strings.Contains(comments[0].Body, "evil.example") {
		t.Errorf("comments %+v", comments)
	}
	var combined struct {
		State    string
		Statuses []struct {
			Context   string
			TargetURL string `json:"target_url"`
		}
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/commits/%s/status", g.Admin, repo, head), &combined)
	if combined.State != "success" || len(combined.Statuses) != 1 || combined.Statuses[0].TargetURL != "https://git.example.org/ci/actions/runs/81" {
		t.Errorf("status %+v", combined)
	}

	// A saved event naming a pull request whose head is not the tested
	// commit (here main's) gets no comment; the status goes on the commit.
	var branch struct{ Commit struct{ ID string } }
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/branches/main", g.Admin, repo), &branch)
	t.Setenv("GITHUB_EVENT_PATH", writeFile(t, t.TempDir(), "event.json", workflowRunEvent(branch.Commit.ID)))
	code, _, stderr = runCLI(t, append(args, "--run-url", "https://ci.example.org/runs/2")...)
	if code != exitOK || !strings.Contains(stderr, fmt.Sprintf("not commenting on %s/%s#%d", g.Admin, repo, pr)) || strings.Contains(stderr, "comment ") {
		t.Errorf("mismatched head: exit %d\n%s", code, stderr)
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, repo, pr), &comments)
	if len(comments) != 1 || strings.Contains(comments[0].Body, "ci.example.org/runs/2") {
		t.Errorf("the comment changed: %+v", comments)
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/commits/%s/status", g.Admin, repo, branch.Commit.ID), &combined)
	if len(combined.Statuses) != 1 || combined.Statuses[0].TargetURL != "https://ci.example.org/runs/2" {
		t.Errorf("status on the tested commit: %+v", combined)
	}

	// Outside workflow_run: the saved event names the target.
	t.Setenv("GITHUB_EVENT_PATH", "")
	if code, _, stderr = runCLI(t, args...); code != exitOK || !strings.Contains(stderr, "comment updated") {
		t.Errorf("from the saved event: exit %d\n%s", code, stderr)
	}

	for name, bad := range map[string][]string{
		"no --from":  {"publish", "--forge", "gitea"},
		"forge none": {"publish", "--from", from, "--forge", "none"},
		"no forge":   {"publish", "--from", from},
		"not json":   {"publish", "--from", writeFile(t, dir, "x.json", "{"), "--forge", "gitea", "--forge-url", g.URL, "--repo", "a/b", "--token-env", "RT_FORGE_TOKEN"},
		"no target":  {"publish", "--from", from, "--event", writeFile(t, t.TempDir(), "push.json", `{"ref":"refs/heads/main"}`), "--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin + "/" + repo, "--token-env", "RT_FORGE_TOKEN"},
		"plain http": {"publish", "--from", from, "--forge", "gitea", "--forge-url", "http://git.example.org", "--repo", "a/b", "--pr", strconv.Itoa(pr), "--token-env", "RT_FORGE_TOKEN"},
	} {
		if code, _, stderr := runCLI(t, bad...); code != exitConfig {
			t.Errorf("%s: exit %d\n%s", name, code, stderr)
		}
	}
}
