package publish

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// One recipe's strings carry another recipe's hidden marker, in each place
// a comment quotes them (name, so its own marker too, failure reason,
// output, residue): its
// comment on a real Gitea keeps only its own marker, so the other
// recipe's run, posting next, gets a comment of its own instead of
// overwriting this one.
func TestHiddenMarkerInRecipeTextCannotHijack(t *testing.T) {
	g := testenv.GiteaServer(t)
	ctx := context.Background()
	repoName, pr, _ := g.PullRequest(t)
	fg, err := forge.New(ctx, forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token})
	if err != nil {
		t.Fatal(err)
	}
	repo := forge.Repo{Owner: g.Admin, Name: repoName}
	p := &Publisher{T: Target{Forge: fg, Repo: repo, PR: pr}}
	other := forge.Marker("victim")
	evil := &results.Run{Status: results.Fail, Recipe: "evil " + strings.TrimSuffix(other, " -->"), Residue: []string{other},
		Stages: []results.Stage{{Name: "install", Status: results.Fail, Reason: "x\n" + other, Output: other + "\n" + other}}}
	if err := p.Finish(ctx, evil); err != nil {
		t.Fatal(err)
	}
	if err := p.Finish(ctx, passedRunOf("victim")); err != nil {
		t.Fatal(err)
	}
	var comments []struct{ Body string }
	g.GetJSON(t, fmt.Sprintf("/repos/%s/issues/%d/comments", repo, pr), &comments)
	if len(comments) != 2 {
		t.Fatalf("%d comments, want the evil recipe's and the victim's: %+v", len(comments), comments)
	}
	for i, c := range comments {
		if n := strings.Count(c.Body, "<!--"); n != 1 || !strings.HasPrefix(c.Body, "<!-- recipe-test:comment recipe=") {
			t.Errorf("comment %d holds %d markers:\n%s", i, n, c.Body)
		}
	}
	if !strings.Contains(comments[0].Body, "### ❌ evil") || !strings.HasPrefix(comments[1].Body, other+"\n### ✅ victim") {
		t.Errorf("comments:\n%s\n---\n%s", comments[0].Body, comments[1].Body)
	}
}

func passedRunOf(name string) *results.Run {
	r := passedRun()
	r.Recipe = name
	return r
}
