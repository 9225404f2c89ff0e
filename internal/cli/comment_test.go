package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// publish --base-results gives the comment its delta line, and the
// screenshot beside --from's results.json is attached to it on Gitea; a
// base file that does not load is a warning naming it, the comment is
// updated all the same (no delta) and keeps one attachment.
func TestPublishBaseResultsAndScreenshot(t *testing.T) {
	g := testenv.GiteaServer(t)
	repo, pr, head := g.PullRequest(t)
	t.Setenv("RT_FORGE_TOKEN", g.Token)
	t.Setenv("GITHUB_ACTIONS", "")
	t.Setenv("GITHUB_EVENT_PATH", "")
	dir := t.TempDir()
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 30, 20))); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "custom", "screenshots"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "custom", "screenshots"), "home.png", img.String())
	jsonFile := func(dir, name string, run *results.Run) string {
		data, err := json.Marshal(run)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, name, string(data))
	}
	from := jsonFile(dir, "results.json", &results.Run{Status: results.Pass, Recipe: "example", Level: 1,
		Stages: []results.Stage{{Name: "install", Status: results.Pass}, {Name: "custom", Status: results.Pass, Screenshots: []string{"custom/screenshots/home.png"}}}})
	base := jsonFile(t.TempDir(), "main.json", &results.Run{Status: results.Pass, Recipe: "example", Ref: "refs/heads/main", Level: 4})
	missing := filepath.Join(t.TempDir(), "gone.json")
	args := []string{"publish", "--from", from, "--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin + "/" + repo,
		"--pr", fmt.Sprint(pr), "--sha", head, "--token-env", "RT_FORGE_TOKEN"}
	for i, tc := range []struct{ base, delta, warning string }{
		{base, "\nL4 on main, L1 here\n", ""},
		{missing, "", "warning: no delta against the base branch in the comment: read results: open " + missing},
	} {
		code, _, stderr := runCLI(t, append(args, "--base-results", tc.base)...)
		if code != exitOK || !strings.Contains(stderr, "screenshot custom/screenshots/home.png attached") || !strings.Contains(stderr, tc.warning) {
			t.Fatalf("publish %d: exit %d\n%s", i+1, code, stderr)
		}
		var comments []struct {
			Body   string
			Assets []struct{ Name string }
		}
		g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, repo, pr), &comments)
		if len(comments) != 1 || len(comments[0].Assets) != 1 || comments[0].Assets[0].Name != "home.png" ||
			!strings.Contains(comments[0].Body, "![screenshot of the app: custom/screenshots/home.png](") ||
			strings.Contains(comments[0].Body, " here\n") != (tc.delta != "") || !strings.Contains(comments[0].Body, tc.delta) {
			t.Errorf("publish %d: comments %+v", i+1, comments)
		}
	}
}

// run --forge gitea with the enrolled example's browser test: the
// screenshot the test saved is attached to the sticky comment and shown in
// it, byte for byte, and the comment gives the delta against the base
// branch's results.
func TestRunAttachesScreenshotToGitea(t *testing.T) {
	testenv.Swarm(t)
	g := testenv.GiteaServer(t)
	repo, pr, _ := g.PullRequest(t)
	t.Setenv("RT_FORGE_TOKEN", g.Token)
	for _, k := range []string{"GITHUB_EVENT_PATH", "GITHUB_SHA", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_RUN_ID"} {
		t.Setenv(k, "")
	}
	data, err := json.Marshal(&results.Run{Status: results.Pass, Recipe: "example", Ref: "main", Level: 5})
	if err != nil {
		t.Fatal(err)
	}
	base := writeFile(t, t.TempDir(), "results.json", string(data))
	out := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--recipe", "example", "--recipes-dir", filepath.Join(testenv.RepoRoot(t), "recipes"),
		"--stages", "install,custom", "--out", out, "--domain-suffix", "cli-shot.test", "--lock-dir", t.TempDir(),
		"--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin+"/"+repo, "--pr", fmt.Sprint(pr),
		"--token-env", "RT_FORGE_TOKEN", "--base-results", base)
	if code != exitOK || !strings.Contains(stderr, "screenshot custom/screenshots/example-home.png attached") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	res, err := report.ReadJSON(filepath.Join(out, "results.json"))
	if err != nil || res.Screenshot() != "custom/screenshots/example-home.png" {
		t.Fatalf("results: %v, screenshot %q", err, res.Screenshot())
	}
	saved, err := os.ReadFile(filepath.Join(out, "custom", "screenshots", "example-home.png"))
	if err != nil {
		t.Fatal(err)
	}
	var comments []struct {
		Body   string
		Assets []struct {
			Name string
			URL  string `json:"browser_download_url"`
		}
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, repo, pr), &comments)
	if len(comments) != 1 || len(comments[0].Assets) != 1 {
		t.Fatalf("comments %+v", comments)
	}
	c := comments[0]
	if !strings.Contains(c.Body, "![screenshot of the app: custom/screenshots/example-home.png]("+c.Assets[0].URL+")") ||
		!strings.Contains(c.Body, fmt.Sprintf("\nL5 on main, L%d here\n", res.Level)) {
		t.Errorf("body:\n%s", c.Body)
	}
	resp, err := http.Get(c.Assets[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got, err := io.ReadAll(resp.Body); err != nil || !bytes.Equal(got, saved) {
		t.Errorf("the attachment is %d bytes (%v), not the %d-byte screenshot the test saved", len(got), err, len(saved))
	}
}
