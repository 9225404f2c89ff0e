package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/mirror"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The catalogue's Gitea nightly workflow (docs/workflows/gitea-nightly.yml)
// under a real Actions runner (act), dispatched by hand
// (workflow_dispatch) on a CI repository of a real Gitea. The action image
// enrolls some twenty recipes, most of which cannot run here, so the test
// gives the workflow's image (its docker:// step's :v2, and the image the
// action's action.yml runs) a trimmed catalogue of two: the bundled
// example, fetched from its folder, and custom-html (on its stand-in
// nginx image; install and its own tests), fetched from a Gitea pull
// mirror of an upstream on the same Gitea, as enroll makes it. The upstream
// moves on after the mirror's last sync, so that sync-mirror has work to
// do.
//
// list must output both, the matrix must run one job for each, the
// custom-html job must bring its mirror level with upstream before testing
// it, each job must post its commit status on the CI repository's head,
// and nothing of the run may be left on the swarm. The workflow runs as it
// is, but for the https://github.com/ prefix of its action (see
// runGiteaWorkflow).
func TestGiteaNightlyWorkflowUnderAct(t *testing.T) {
	act, g, root, api := giteaActEnv(t)
	testenv.AppImage(t, "nginx:1.29.1") // custom-html's stand-in
	actionImage(t)
	ctx := t.Context()

	// custom-html's upstream, and its pull mirror as enroll makes it,
	// synced once a day (so never during the test but when asked).
	org := g.Org(t)
	owner := "up-" + org
	g.User(t, owner, "read:user")
	up := t.TempDir()
	if err := os.CopyFS(up, os.DirFS(filepath.Join(root, "testdata", "recipes", "custom-html-upstream"))); err != nil {
		t.Fatal(err)
	}
	testenv.CommitAll(t, up, "custom-html")
	upstream := g.Import(t, owner, "custom-html", up)
	f, err := forge.New(ctx, forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token, TokenSource: "$RECIPE_TEST_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mirror.Find(ctx, f, mirror.Spec{Repo: forge.Repo{Owner: org, Name: "custom-html"}, Upstream: upstream, Interval: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	clone, err := git.PlainClone(t.TempDir(), false, &git.CloneOptions{URL: upstream, Tags: git.AllTags})
	if err != nil {
		t.Fatalf("clone %s: %v", upstream, err)
	}
	if _, err := m.Sync(ctx, clone); err != nil {
		t.Fatal(err)
	}
	g.Do(t, http.MethodPost, "/repos/"+owner+"/custom-html/contents/CHANGELOG.md", map[string]any{
		"content": base64.StdEncoding.EncodeToString([]byte("# Unreleased\n")), "message": "Changelog", "branch": "main"}, nil, http.StatusCreated)
	upHead := branchHead(t, g, owner+"/custom-html", "main")
	if branchHead(t, g, org+"/custom-html", "main") == upHead {
		t.Fatal("the mirror already has upstream's new commit: sync-mirror would prove nothing")
	}

	image := trimmedCatalogueImage(t, root, upstream, m.Info.CloneURL)
	tagImage(t, image, movingActionImage) // the list step's image

	// The CI repository, holding the workflow where Gitea reads it.
	ci := t.TempDir()
	data, err := os.ReadFile(filepath.Join(root, "docs", "workflows", "gitea-nightly.yml"))
	if err == nil {
		err = os.MkdirAll(filepath.Join(ci, ".gitea", "workflows"), 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(ci, ".gitea", "workflows", "recipe-test-nightly.yml"), data, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	gitIn(t, ci, "init", "-q", "-b", "main")
	gitIn(t, ci, "add", "-A")
	gitIn(t, ci, "commit", "-q", "-m", "The nightly workflow")
	head := strings.TrimSpace(gitIn(t, ci, "rev-parse", "HEAD"))
	name := fmt.Sprintf("catalogue-%d", time.Now().UnixNano())
	g.Import(t, g.Admin, name, ci)
	payload := fmt.Sprintf(`{"ref":"refs/heads/main","inputs":{},"repository":{"full_name":"%s/%s","default_branch":"main"}}`, g.Admin, name)

	log := runGiteaWorkflow(t, act, g, giteaWorkflow{file: "gitea-nightly.yml", event: "workflow_dispatch", payload: payload,
		dir: ci, repo: g.Admin + "/" + name, image: image, jobs: 3})

	// list output the trimmed catalogue, objects the matrix reads .name of.
	var listedOut []listed
	if _, out, ok := strings.Cut(log, "::set-output:: recipes="); !ok {
		t.Errorf("act's log has no list output:\n%s", tailLines(log, 150))
	} else if line, _, _ := strings.Cut(out, "\n"); json.Unmarshal([]byte(line), &listedOut) != nil {
		t.Errorf("list's output is not a JSON array: %s", line)
	}
	var names []string
	for _, l := range listedOut {
		names = append(names, l.Name)
	}
	if !slices.Equal(names, []string{"custom-html", "example"}) || listedOut[0].Mirror != m.Info.CloneURL {
		t.Errorf("list's output %+v, want custom-html (mirror %s) and example", listedOut, m.Info.CloneURL)
	}

	// One matrix job for each, each testing its recipe to the end.
	jobs := actJobLogs(log)
	want := map[string][]string{
		"custom-html": {"recipe-test: mirror sync: recipe custom-html: mirror " + org + "/custom-html is level with " + upstream,
			"plan: enrolled recipe custom-html from " + m.Info.CloneURL,
			"::group::install", "::group::custom", "pass TestContentRoundTrip", "pass TestPageRendersInBrowser", "[teardown] nothing left"},
		"example": {"recipe-test: mirror sync: recipe example is not fetched from a mirror: nothing to sync",
			"::group::install", "::group::backup", "::group::restore", "::group::custom", "pass TestPageRendersInBrowser", "[teardown] nothing left"},
	}
	matrix := 0
	for job, lines := range jobs {
		if !strings.HasPrefix(job, "test") {
			continue
		}
		matrix++
		text := strings.Join(lines, "\n")
		recipe := ""
		for r := range want {
			if regexp.MustCompile(`Matrix: map\[recipe:map\[.*\bname:` + regexp.QuoteMeta(r) + `[ \]]`).MatchString(text) {
				recipe = r
			}
		}
		if recipe == "" {
			t.Errorf("job %s tested none of %v", job, slices.Sorted(maps.Keys(want)))
			continue
		}
		for _, w := range want[recipe] {
			if !strings.Contains(text, w) {
				t.Errorf("job %s (%s): act's log lacks %q", job, recipe, w)
			}
		}
		delete(want, recipe)
	}
	if matrix != 2 || len(want) != 0 {
		t.Errorf("%d matrix jobs; untested: %v", matrix, want)
	}

	// The sync brought the mirror level before the run fetched it.
	if got := branchHead(t, g, org+"/custom-html", "main"); got != upHead {
		t.Errorf("the mirror's main is %s after the run, upstream's %s", got, upHead)
	}
	// No pull request: each recipe's status is on the head act ran.
	var combined struct {
		State    string
		Statuses []struct {
			Context string
			Status  string `json:"status"` // Gitea's name for a status's state
		}
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/commits/%s/status", g.Admin, name, head), &combined)
	var contexts []string
	for _, s := range combined.Statuses {
		if s.Status == "success" {
			contexts = append(contexts, s.Context)
		}
	}
	slices.Sort(contexts)
	if combined.State != "success" || !slices.Equal(contexts, []string{"recipe-test/custom-html", "recipe-test/example"}) {
		t.Errorf("statuses on the CI repository's head %s: %+v", head, combined)
	}
	noRunLeft(t, api, "_nightly_ci_example_org")
}

// trimmedCatalogueImage builds, on the action image actionImage built, an
// image whose enrolled recipes are example (the image's own) and
// custom-html fetched from mirrorURL, a mirror of upstream, running
// install and its own tests only (the image's test binary). It returns
// the image's tag, removed afterwards.
func trimmedCatalogueImage(t *testing.T, root, upstream, mirrorURL string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "recipes", "custom-html", "recipe.toml"))
	if err != nil {
		t.Fatal(err)
	}
	const published = "upstream = \"https://git.coopcloud.tech/coop-cloud/custom-html.git\"\n"
	if !strings.Contains(string(data), published) {
		t.Fatalf("recipes/custom-html/recipe.toml has no line %q", strings.TrimSpace(published))
	}
	toml := "stages = [\"install\", \"custom\"]\n" + strings.Replace(string(data), published,
		fmt.Sprintf("upstream = %q\nmirror = %q\n", upstream, mirrorURL), 1)
	dir := t.TempDir()
	const recipes = "/usr/share/recipe-test/recipes"
	const trimmed = "/usr/share/recipe-test/nightly" // beside recipes: example's path stays right
	dockerfile := fmt.Sprintf(`FROM %[1]s
COPY --from=%[1]s %[2]s/example %[3]s/example
COPY --from=%[1]s %[2]s/custom-html %[3]s/custom-html
COPY recipe.toml %[3]s/custom-html/recipe.toml
ENV RECIPE_TEST_RECIPES=%[3]s
`, actionDevImage, recipes, trimmed)
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "recipe.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	tag := "recipe-test-nightly:" + id
	build := exec.CommandContext(t.Context(), "docker", "build", "-q", "-t", tag, dir)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0") // no buildx here: the classic builder
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the trimmed catalogue's image: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", tag).Run() })
	return tag
}

// branchHead is the commit branch of repo (OWNER/NAME) is at on the Gitea.
func branchHead(t *testing.T, g *testenv.Gitea, repo, branch string) string {
	t.Helper()
	var b struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	g.GetJSON(t, "/repos/"+repo+"/branches/"+branch, &b)
	return b.Commit.ID
}

// actJobLogs is act's log by job: the lines act prefixed with
// [WORKFLOW/JOB], without the prefix, by JOB (a matrix's jobs are
// JOB-1, JOB-2...).
func actJobLogs(log string) map[string][]string {
	jobs := map[string][]string{}
	for _, line := range strings.Split(log, "\n") {
		prefix, text, ok := strings.Cut(line, "] ")
		if !ok || !strings.HasPrefix(prefix, "[") {
			continue
		}
		_, job, ok := strings.Cut(prefix, "/")
		if !ok {
			continue
		}
		jobs[job] = append(jobs[job], text)
	}
	return jobs
}
