package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// A recipe tested from a private repository through a URL carrying a
// user's token (https://user:token@host/...) is cloned with it, and the
// token is nowhere else: not in the progress output, results.json,
// junit.xml, report.md, the pull request's comment or the commit status,
// neither for a run that went through nor for one that could not start
// (its error quotes the URL).
func TestRecipeURLCredentialsLeakNowhere(t *testing.T) {
	testenv.Swarm(t)
	g := testenv.GiteaServer(t)
	repo, pr, head := g.PullRequest(t)
	t.Setenv("RT_FORGE_TOKEN", g.Token)
	t.Setenv("GITHUB_EVENT_PATH", "")

	// The recipe, in a private repository only the reader may read.
	checkout := filepath.Join(t.TempDir(), "example")
	if err := os.CopyFS(checkout, os.DirFS(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))); err != nil {
		t.Fatal(err)
	}
	testenv.CommitAll(t, checkout, "The example recipe")
	name := "private-example-" + strconv.Itoa(pr)
	cloneURL := g.Import(t, g.Admin, name, checkout)
	g.Do(t, http.MethodPatch, "/repos/"+g.Admin+"/"+name, map[string]any{"private": true}, nil, http.StatusOK)
	secret := g.User(t, "recipe-reader", "read:repository")
	g.Do(t, http.MethodPut, "/repos/"+g.Admin+"/"+name+"/collaborators/recipe-reader", map[string]any{"permission": "read"}, nil, http.StatusNoContent)
	withCreds := strings.Replace(cloneURL, "://", "://recipe-reader:"+secret+"@", 1)
	shown := strings.Replace(cloneURL, "://", "://***@", 1)

	for _, tc := range []struct{ name, ref, says string }{
		{"tested", "", "example: L"},
		{"could not start", "no-such-ref", "could not start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := []string{"run", "--recipe", withCreds, "--stages", "lint", "--out", out,
				"--domain-suffix", "cli-leak.test", "--lock-dir", t.TempDir(), "--no-janitor",
				"--forge", "gitea", "--forge-url", g.URL, "--repo", g.Admin + "/" + repo, "--pr", strconv.Itoa(pr), "--token-env", "RT_FORGE_TOKEN"}
			if tc.ref != "" {
				args = append(args, "--ref", tc.ref)
			}
			_, stdout, stderr := runCLI(t, args...)
			res, err := report.ReadJSON(filepath.Join(out, "results.json"))
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if res.Location != shown {
				t.Errorf("results.json location %q, want %q", res.Location, shown)
			}
			if tc.ref == "" && res.Recipe != "example" {
				t.Fatalf("the private recipe was not cloned with the URL's credentials: %+v\n%s", res, stderr)
			}
			var comments []struct{ Body string }
			g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, repo, pr), &comments)
			var statuses []struct{ Context, Description string }
			g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/statuses/%s", g.Admin, repo, head), &statuses)
			posted, _ := json.Marshal(map[string]any{"comments": comments, "statuses": statuses})
			if !strings.Contains(string(posted), tc.says) {
				t.Errorf("the forge got no report saying %q: %s", tc.says, posted)
			}
			places := map[string]string{"stdout": stdout, "stderr": stderr, "comment and statuses": string(posted)}
			for _, f := range []string{"results.json", "junit.xml", "report.md"} {
				data, err := os.ReadFile(filepath.Join(out, f))
				if err != nil {
					t.Fatal(err)
				}
				places[f] = string(data)
			}
			for where, text := range places {
				if strings.Contains(text, secret) || strings.Contains(text, "recipe-reader:") {
					t.Errorf("%s shows the URL's credentials:\n%s", where, text)
				}
			}
		})
	}
}
