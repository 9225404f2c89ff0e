package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// readOutputs parses a $GITHUB_OUTPUT file (name<<DELIMITER ... DELIMITER).
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

// The action entrypoint, given exactly what a Gitea Actions runner gives a
// container action (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
// a real pull_request event payload), tests the recipe, folds each stage
// into a group, masks secrets and the token, writes the outputs and the
// step summary, and posts the comment and the status on the PR head.
func TestActionModeUnderGiteaActions(t *testing.T) {
	testenv.Swarm(t)
	g := testenv.GiteaServer(t)
	repo, pr, head := g.PullRequest(t)
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	payload := fmt.Sprintf(`{"action":"opened","number":%d,"pull_request":{"number":%d,"head":{"sha":%q,"ref":"change"},"base":{"ref":"main"}},"repository":{"full_name":"%s/%s"}}`,
		pr, pr, head, g.Admin, repo)
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results")
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITEA_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": event, "GITHUB_REPOSITORY": g.Admin + "/" + repo, "GITHUB_SERVER_URL": g.URL,
		"GITHUB_SHA": "0000000000000000000000000000000000000000", "GITHUB_RUN_ID": "77",
		"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
		"INPUT_RECIPE": filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"),
		"INPUT_STAGES": "install", "INPUT_DOMAIN-SUFFIX": "cli-action.test", "INPUT_OUT": out,
		"INPUT_TOKEN": g.Token, "INPUT_COMMENT": "true", "INPUT_FAIL-ON-RESIDUE": "true", "INPUT_TIMEOUT": "2m",
		"RECIPE_TEST_LOCK_DIR": filepath.Join(dir, "locks"),
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	code, stdout, stderr := runCLI(t, "action")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"::add-mask::" + g.Token, "::group::install", "::endgroup::", "::group::teardown", "[install] ready: GET"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "::add-mask::"); n < 2 {
		t.Errorf("%d masks: the token and the generated secret want one each", n)
	}
	outputs := readOutputs(t, env["GITHUB_OUTPUT"])
	if outputs["status"] != "pass" || outputs["level"] != "1" || outputs["results"] != filepath.Join(out, "results.json") ||
		outputs["junit"] != filepath.Join(out, "junit.xml") || !strings.Contains(outputs["comment-url"], fmt.Sprintf("/pulls/%d#issuecomment-", pr)) {
		t.Errorf("outputs %v", outputs)
	}
	summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if !strings.HasPrefix(string(summary), "### ✅ example: L1 of 5") || !strings.Contains(string(summary), g.URL+"/"+g.Admin+"/"+repo+"/actions/runs/77") {
		t.Errorf("step summary:\n%s", summary)
	}
	var combined struct {
		State    string
		Statuses []struct{ Context string }
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/commits/%s/status", g.Admin, repo, head), &combined)
	if combined.State != "success" || len(combined.Statuses) != 1 || combined.Statuses[0].Context != "recipe-test/example" {
		t.Errorf("status on the PR head: %+v", combined)
	}
	var comments []struct{ Body string }
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, repo, pr), &comments)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "### ✅ example: L1 of 5") {
		t.Errorf("comments %+v", comments)
	}
	if data, _ := json.Marshal(comments); strings.Contains(string(data), g.Token) {
		t.Error("the token is in the comment")
	}
}

// Input errors and a failing recipe exit non-zero with an error annotation.
func TestActionModeErrors(t *testing.T) {
	t.Setenv("GITHUB_OUTPUT", "")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	t.Setenv("INPUT_RECIPE", "")
	if code, _, stderr := runCLI(t, "action"); code != exitConfig || !strings.Contains(stderr, "input recipe is required") {
		t.Errorf("no recipe: exit %d %s", code, stderr)
	}
	t.Setenv("INPUT_RECIPE", filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))
	t.Setenv("INPUT_FAIL-ON-RESIDUE", "maybe")
	if code, _, stderr := runCLI(t, "action"); code != exitConfig || !strings.Contains(stderr, "fail-on-residue") {
		t.Errorf("bad bool: exit %d %s", code, stderr)
	}
	t.Setenv("INPUT_FAIL-ON-RESIDUE", "")
	t.Setenv("INPUT_STAGES", "bogus")
	t.Setenv("INPUT_TOKEN", "")
	code, stdout, _ := runCLI(t, "action")
	if code != exitConfig || !strings.Contains(stdout, "::error::") || !strings.Contains(stdout, `unknown stage "bogus"`) {
		t.Errorf("bad stage: exit %d\n%s", code, stdout)
	}
}

// An unenrolled recipe tested by the action with a token and enroll-repo
// gets its enrollment pull request on the CI repository, with this run's
// generic floor result in the body and its address as the enroll-pr
// output; the recipe repository is mirrored into the CI organisation.
func TestActionEnrollsUnenrolledRecipe(t *testing.T) {
	testenv.Swarm(t)
	g := testenv.GiteaServer(t)
	ci := ciRepository(t, g)
	org := strings.Split(ci, "/")[0]
	// The recipe's repository, checked out in the workspace.
	owner := "maintainer-" + org
	g.User(t, owner, "read:user")
	work := t.TempDir()
	checkout := filepath.Join(work, "checkout")
	if err := os.CopyFS(checkout, os.DirFS(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))); err != nil {
		t.Fatal(err)
	}
	testenv.CommitAll(t, checkout, "The example recipe")
	g.Import(t, owner, "example", checkout)
	// A maintainer's pull request on it, which the run reports on.
	recipeRepo := "/repos/" + owner + "/example"
	g.Do(t, http.MethodPost, recipeRepo+"/contents/NOTES.md", map[string]any{
		"content": base64.StdEncoding.EncodeToString([]byte("a change\n")), "message": "A change", "branch": "main", "new_branch": "change"}, nil, http.StatusCreated)
	var pr struct {
		Number int
		Head   struct{ SHA string }
	}
	g.Do(t, http.MethodPost, recipeRepo+"/pulls", map[string]any{"title": "A change", "head": "change", "base": "main"}, &pr, http.StatusCreated)
	event := filepath.Join(work, "event.json")
	payload := fmt.Sprintf(`{"action":"opened","number":%d,"pull_request":{"number":%d,"head":{"sha":%q,"ref":"change"},"base":{"ref":"main"}},"repository":{"full_name":"%s/example"}}`,
		pr.Number, pr.Number, pr.Head.SHA, owner)
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}

	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITEA_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
		"GITHUB_REPOSITORY": owner + "/example", "GITHUB_SERVER_URL": g.URL, "GITHUB_SHA": pr.Head.SHA, "GITHUB_RUN_ID": "78",
		"GITHUB_OUTPUT": filepath.Join(work, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(work, "summary.md"),
		"INPUT_RECIPE": checkout, "INPUT_STAGES": "install", "INPUT_DOMAIN-SUFFIX": "enroll-action.test",
		"INPUT_OUT": filepath.Join(work, "results"), "INPUT_TOKEN": g.Token, "INPUT_TIMEOUT": "2m",
		"INPUT_ENROLL-REPO": ci, "INPUT_ENROLL-TOKEN": g.Token,
		"RECIPE_TEST_RECIPES": t.TempDir(), "RECIPE_TEST_LOCK_DIR": filepath.Join(work, "locks"),
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	code, stdout, stderr := runCLI(t, "action")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "::add-mask::"+g.Token) || !strings.Contains(stdout, "::notice::recipe example is not enrolled yet: enrollment pull request") ||
		!strings.Contains(stdout, "plan: recipe example is not enrolled: the generic floor only") {
		t.Errorf("stdout:\n%s", stdout)
	}
	outputs := readOutputs(t, env["GITHUB_OUTPUT"])
	var prs []struct {
		Number  int
		HTMLURL string `json:"html_url"`
		Body    string
		Head    struct{ Ref string }
	}
	g.GetJSON(t, "/repos/"+ci+"/pulls?state=all", &prs)
	if len(prs) != 1 || prs[0].Head.Ref != "enroll/example" || outputs["enroll-pr"] != prs[0].HTMLURL {
		t.Fatalf("pull requests %+v, enroll-pr output %q", prs, outputs["enroll-pr"])
	}
	// The sticky comment on the maintainer's pull request links the
	// enrollment pull request.
	var comments []struct{ Body string }
	g.GetJSON(t, fmt.Sprintf("%s/issues/%d/comments", recipeRepo, pr.Number), &comments)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "[its enrollment pull request]("+prs[0].HTMLURL+")") {
		t.Errorf("comments on the recipe's pull request: %+v", comments)
	}
	summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if !strings.Contains(string(summary), "This recipe is not enrolled yet, so only the generic floor ran: [its enrollment pull request]("+prs[0].HTMLURL+")") {
		t.Errorf("the step summary does not link the enrollment pull request:\n%s", summary)
	}
	for _, want := range []string{"✅ example: L1 of 5", "| install | pass |", g.URL + "/" + owner + "/example.git"} {
		if !strings.Contains(prs[0].Body, want) {
			t.Errorf("pull request body lacks %q:\n%s", want, prs[0].Body)
		}
	}
	var mirror struct {
		Mirror      bool
		OriginalURL string `json:"original_url"`
	}
	g.GetJSON(t, "/repos/"+org+"/example", &mirror)
	if !mirror.Mirror || mirror.OriginalURL != g.URL+"/"+owner+"/example.git" {
		t.Errorf("mirror %+v", mirror)
	}
	if strings.Contains(prs[0].Body, g.Token) {
		t.Error("the token is in the pull request")
	}
}

// Enrolling is a side job of the action: by default it acts only with an
// enroll-token (silently skipped without one); with enroll: true it is
// skipped with a notice without a token or repository for it; it is
// skipped for enrolled recipes and with enroll: false, and a failure is a
// warning, not the run's failure.
func TestActionEnrollSkipsAndWarns(t *testing.T) {
	g := testenv.GiteaServer(t)
	ci := ciRepository(t, g)
	run := &results.Run{Status: results.Pass, Recipe: "example", Level: 1}
	// The recipe's repository, so that enrolling gets as far as the CI
	// repository's checks.
	owner := "maintainer-" + strings.Split(ci, "/")[0]
	g.User(t, owner, "read:user")
	src := t.TempDir()
	if err := os.CopyFS(src, os.DirFS(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))); err != nil {
		t.Fatal(err)
	}
	testenv.CommitAll(t, src, "example")
	g.Import(t, owner, "example", src)
	recipeRepo := owner + "/example"
	for name, c := range map[string]struct {
		inputs map[string]string
		run    *results.Run
		want   string // in stdout; "" = nothing at all
	}{
		"auto without enroll-token": {map[string]string{"INPUT_TOKEN": g.Token, "INPUT_ENROLL-REPO": ci, "GITHUB_ACTION_REPOSITORY": ci}, run, ""},
		"no CI repository":          {map[string]string{"INPUT_ENROLL": "true", "INPUT_TOKEN": "workflow-token"}, run, "::notice::recipe example is not enrolled; give the enroll-repo input"},
		"no token":                  {map[string]string{"INPUT_ENROLL": "true", "INPUT_ENROLL-REPO": ci}, run, "::notice::recipe example is not enrolled; give the enroll-repo input"},
		"the workflow's token cannot": {map[string]string{"INPUT_ENROLL": "true", "INPUT_TOKEN": g.User(t, "reader-"+strings.Split(ci, "/")[0], "read:repository"), "GITHUB_ACTION_REPOSITORY": ci}, run,
			"(the workflow's own token usually cannot write to another repository: give enroll-token)"},
		"disabled":         {map[string]string{"INPUT_ENROLL": "false", "INPUT_ENROLL-TOKEN": g.Token, "INPUT_ENROLL-REPO": ci}, run, ""},
		"already enrolled": {map[string]string{"INPUT_ENROLL-TOKEN": g.Token, "INPUT_ENROLL-REPO": ci}, &results.Run{Recipe: "example", Enrollment: "recipes/example/recipe.toml"}, ""},
		"bad mode":         {map[string]string{"INPUT_ENROLL": "always", "INPUT_ENROLL-TOKEN": g.Token}, run, `::warning::input enroll "always"`},
		"enrollment fails (no such CI repository)": {map[string]string{"INPUT_ENROLL-TOKEN": g.Token, "INPUT_ENROLL-REPO": "nobody/nothing"}, run,
			"::warning::not enrolled: enroll example: the CI repository nobody/nothing was not found"},
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"GITEA_ACTIONS": "true", "GITHUB_SERVER_URL": g.URL, "GITHUB_REPOSITORY": recipeRepo}
			for k, v := range c.inputs {
				env[k] = v
			}
			var out strings.Builder
			getenv := func(k string) string { return env[k] }
			a := githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(getenv))
			url := actionEnroll(context.Background(), a, getenv, c.run, filepath.Join(t.TempDir(), "checkout"))
			if url != "" {
				t.Errorf("enrolled: %s", url)
			}
			got := strings.ReplaceAll(out.String(), "::add-mask::"+g.Token+"\n", "")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("output %q; want %q", got, c.want)
			}
			if strings.Contains(got, g.Token) {
				t.Error("the token is in the output")
			}
		})
	}
	var prs []struct{ Number int }
	g.GetJSON(t, "/repos/"+ci+"/pulls?state=all", &prs)
	if len(prs) != 0 {
		t.Errorf("pull requests opened: %+v", prs)
	}
}
