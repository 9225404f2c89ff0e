package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The catalogue's Gitea pull request workflow (docs/workflows/gitea-pr.yml)
// under a real Actions runner (act), for a real enrollment pull request on
// a real Gitea: the CI repository has custom-html enrolled on main, and
// the pull request adds recipes/example/ (its recipe.toml and Go tests).
// changed must choose example alone; the test job builds the pull
// request's suite in golang:1.26-bookworm and the action (this work tree's
// image, as cc-ci/recipe-test@v2 through act's --local-repository) tests
// example with it, reporting to the Gitea pull request. Nothing of the run
// may be left on the swarm. The workflow runs as it is, but for the
// https://github.com/ prefix of its actions (see runGiteaWorkflow).
func TestGiteaPullRequestWorkflowUnderAct(t *testing.T) {
	act, g, root, api := giteaActEnv(t)
	actionImage(t) // action.yml's image, this code's
	// The workflow's docker:// steps run the action image by its moving tag.
	tagImage(t, actionDevImage, movingActionImage)

	ci := catalogueRepository(t, root)
	name := fmt.Sprintf("catalogue-%d", time.Now().UnixNano())
	g.Import(t, g.Admin, name, ci)
	var pr struct {
		Number int `json:"number"`
		Head   struct {
			SHA string `json:"sha"`
		} `json:"head"`
	}
	g.Do(t, http.MethodPost, "/repos/"+g.Admin+"/"+name+"/pulls", map[string]any{"title": "Enroll recipe example", "head": "enroll/example", "base": "main"}, &pr, http.StatusCreated)
	gitIn(t, ci, "checkout", "-q", "enroll/example") // the pull request's head, as a checkout has it
	if head := strings.TrimSpace(gitIn(t, ci, "rev-parse", "HEAD")); head != pr.Head.SHA {
		t.Fatalf("the pull request's head %s, the checkout's %s", pr.Head.SHA, head)
	}
	payload := fmt.Sprintf(`{"action":"opened","number":%d,"pull_request":{"number":%d,"head":{"sha":%q,"ref":"enroll/example"},"base":{"ref":"main"}},"repository":{"full_name":"%s/%s"}}`,
		pr.Number, pr.Number, pr.Head.SHA, g.Admin, name)
	log := runGiteaWorkflow(t, act, g, giteaWorkflow{file: "gitea-pr.yml", event: "pull_request", payload: payload,
		dir: ci, repo: g.Admin + "/" + name, jobs: 2})
	// changed chose the recipe the pull request adds, not the other one.
	if !strings.Contains(log, `recipes=["example"]`) {
		t.Errorf("changed's output is not [\"example\"]:\n%s", tailLines(log, 120))
	}
	// The suite the pull request adds, built in the workspace by the
	// workflow, not one of the image's.
	built := "running the precompiled tests " + filepath.Join(ci, "recipes", "example", "example.test")
	for _, want := range []string{built, "pass TestPageRendersInBrowser", "::group::custom", "[teardown] nothing left"} {
		if !strings.Contains(log, want) {
			t.Errorf("act's log lacks %q", want)
		}
	}
	var combined struct {
		State    string
		Statuses []struct{ Context, Description string }
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/commits/%s/status", g.Admin, name, pr.Head.SHA), &combined)
	if combined.State != "success" || len(combined.Statuses) != 1 || combined.Statuses[0].Context != "recipe-test/example" {
		t.Errorf("status on the pull request's head: %+v", combined)
	}
	var comments []struct{ Body string }
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, name, pr.Number), &comments)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "### ✅ example: L5 of 5") {
		t.Errorf("comments on the pull request: %+v", comments)
	}
	noRunLeft(t, api, "_ci_example_org")
}

// movingActionImage is the tag the catalogue workflows' docker:// steps
// run the action image by.
const movingActionImage = "ghcr.io/cc-ci/recipe-test:v2"

// giteaActEnv is what running a catalogue Gitea workflow under act needs:
// the swarm, act, the test Gitea, this repository's root and a Docker
// client. act's tool cache volume is removed afterwards unless it was
// there before.
func giteaActEnv(t *testing.T) (act string, g *testenv.Gitea, root string, api *client.Client) {
	t.Helper()
	testenv.Swarm(t)
	act = actBinary(t)
	g = testenv.GiteaServer(t)
	root = testenv.RepoRoot(t)
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	if _, err := api.VolumeInspect(t.Context(), "act-toolcache", client.VolumeInspectOptions{}); err != nil {
		t.Cleanup(func() {
			api.VolumeRemove(context.Background(), "act-toolcache", client.VolumeRemoveOptions{Force: true})
		})
	}
	return act, g, root, api
}

// tagImage tags the image src as ref for the test; afterwards ref names
// the image it named before, or nothing.
func tagImage(t *testing.T, src, ref string) {
	t.Helper()
	before, _ := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", ref).Output()
	if out, err := exec.Command("docker", "tag", src, ref).CombinedOutput(); err != nil {
		t.Fatalf("docker tag %s %s: %v\n%s", src, ref, err, out)
	}
	t.Cleanup(func() {
		if id := strings.TrimSpace(string(before)); id != "" {
			exec.Command("docker", "tag", id, ref).Run()
			return
		}
		exec.Command("docker", "rmi", ref).Run()
	})
}

// giteaWorkflow is a catalogue workflow for Gitea as a test runs it under
// act.
type giteaWorkflow struct {
	file    string // under docs/workflows
	event   string // act's event: pull_request, workflow_dispatch...
	payload string // the event's payload (JSON)
	dir     string // the CI repository's checkout, where act runs
	repo    string // the CI repository on the Gitea, OWNER/NAME
	// image is the image the action (cc-ci/recipe-test@v2) runs: ""
	// keeps the one action.yml names.
	image string
	jobs  int // the jobs that must succeed, each matrix entry one
}

// runGiteaWorkflow runs w under act as Gitea's runner would (GITEA_ACTIONS,
// the Gitea's URL, the token as the RECIPE_TEST_TOKEN secret), with
// cc-ci/recipe-test@v2 this work tree's action.yml, and returns act's
// log. It fails t unless act succeeded with w.jobs jobs, or if the token
// is in the log.
//
// Upstream act reads actions as owner/repo@ref only; Gitea's runner (a
// fork of act) reads the full URLs Gitea needs: the workflow's copy drops
// the https://github.com/ prefix and changes nothing else.
func runGiteaWorkflow(t *testing.T, act string, g *testenv.Gitea, w giteaWorkflow) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	tmp := t.TempDir()
	event := filepath.Join(tmp, "event.json")
	if err := os.WriteFile(event, []byte(w.payload), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "docs", "workflows", w.file))
	if err != nil {
		t.Fatal(err)
	}
	workflow := filepath.Join(tmp, w.file)
	if err := os.WriteFile(workflow, []byte(strings.ReplaceAll(string(data), "uses: https://github.com/", "uses: ")), 0o644); err != nil {
		t.Fatal(err)
	}
	// The action as cc-ci/recipe-test@v2 resolves it: its action.yml.
	yml, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if w.image != "" {
		named := "image: docker://" + actionImageRef(t) + "\n"
		if !strings.Contains(string(yml), named) {
			t.Fatalf("action.yml has no line %q", strings.TrimSpace(named))
		}
		yml = []byte(strings.Replace(string(yml), named, "image: docker://"+w.image+"\n", 1))
	}
	action := filepath.Join(tmp, "action")
	if err := os.MkdirAll(action, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(action, "action.yml"), yml, 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(t.Context(), act, w.event, "-W", workflow, "-e", event,
		"-P", "ubuntu-latest=debian:bookworm-slim", "-P", "swarm=debian:bookworm-slim", "--pull=false",
		"--action-offline-mode", "--no-cache-server", "--rm",
		"--local-repository", "cc-ci/recipe-test@v2="+action,
		"--env", "GITEA_ACTIONS=true", "--env", "GITHUB_SERVER_URL="+g.URL, "--env", "GITHUB_REPOSITORY="+w.repo,
		"-s", "RECIPE_TEST_TOKEN")
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(), "RECIPE_TEST_TOKEN="+g.Token)
	cmd.Stdin = nil
	cmd.WaitDelay = time.Minute
	start := time.Now()
	out, err := cmd.CombinedOutput()
	log := string(out)
	t.Logf("act ran %s for %s", w.file, time.Since(start).Round(time.Second))
	if n := strings.Count(log, "Job succeeded"); err != nil || n != w.jobs {
		t.Fatalf("act: %v; %d of %d jobs succeeded\n%s", err, n, w.jobs, tailLines(log, 150))
	}
	if strings.Contains(log, g.Token) {
		t.Error("the token is in act's log")
	}
	return log
}

// catalogueRepository makes a CI repository as a catalogue has it: on
// main, this module's go.mod and the packages a recipe's tests build on,
// the bundled example recipe and custom-html enrolled; on enroll/example,
// the enrollment of example (recipes/example/), as enroll's pull request
// adds it. HEAD is left on main.
func catalogueRepository(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	list := exec.Command("go", "list", "-deps", "-test", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", "./recipes/example")
	list.Dir = root
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	copyFile := func(rel string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err == nil {
			err = os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, rel), data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, pkg := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, pkg)
		if err != nil || rel == filepath.Join("recipes", "example") {
			continue
		}
		entries, err := os.ReadDir(pkg)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
				copyFile(filepath.Join(rel, e.Name()))
			}
		}
	}
	for _, rel := range []string{"go.mod", "go.sum", "recipes/custom-html/recipe.toml", "docs/workflows/gitea-pr.yml"} {
		copyFile(rel)
	}
	filepath.WalkDir(filepath.Join(root, "testdata", "recipes", "example"), func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, path)
			copyFile(rel)
		}
		return err
	})
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "The catalogue")
	gitIn(t, dir, "checkout", "-q", "-b", "enroll/example")
	for _, f := range []string{"recipe.toml", "PARITY.md", "example_test.go"} {
		copyFile(filepath.Join("recipes", "example", f))
	}
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "Enroll recipe example")
	gitIn(t, dir, "checkout", "-q", "main")
	return dir
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=recipe-test", "-c", "user.email=recipe-test@example.org"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// noRunLeft fails t for any service, volume, network, secret or config
// whose name holds the run stacks' suffix.
func noRunLeft(t *testing.T, api *client.Client, suffix string) {
	t.Helper()
	ctx := t.Context()
	var left []string
	if res, err := api.ServiceList(ctx, client.ServiceListOptions{}); err == nil {
		for _, s := range res.Items {
			left = append(left, "service "+s.Spec.Name)
		}
	}
	if res, err := api.VolumeList(ctx, client.VolumeListOptions{}); err == nil {
		for _, v := range res.Items {
			left = append(left, "volume "+v.Name)
		}
	}
	if res, err := api.NetworkList(ctx, client.NetworkListOptions{}); err == nil {
		for _, n := range res.Items {
			left = append(left, "network "+n.Name)
		}
	}
	if res, err := api.SecretList(ctx, client.SecretListOptions{}); err == nil {
		for _, s := range res.Items {
			left = append(left, "secret "+s.Spec.Name)
		}
	}
	if res, err := api.ConfigList(ctx, client.ConfigListOptions{}); err == nil {
		for _, c := range res.Items {
			left = append(left, "config "+c.Spec.Name)
		}
	}
	for _, l := range left {
		if strings.Contains(l, suffix) {
			t.Errorf("left behind: %s", l)
		}
	}
}
