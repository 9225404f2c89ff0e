package publish

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopGitea()
	os.Exit(code)
}

func passedRun() *results.Run {
	return &results.Run{Status: results.Pass, Recipe: "example", Level: 1,
		Stages: []results.Stage{{Name: "install", Status: results.Pass, DurationS: 3}}}
}

// A token the forge refuses the pending status (a fork's read-only one)
// is told apart from other failures, and Finish then sets no status: it
// still posts the comment when the token may, and says why when not.
func TestStartDenied(t *testing.T) {
	g := testenv.GiteaServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		scopes  []string
		comment bool
	}{
		{"read-only token", []string{"read:repository", "read:issue", "read:user"}, false},
		{"token that may comment only", []string{"read:repository", "write:issue", "read:user"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repoName, pr, head := g.PullRequest(t)
			fg, err := forge.New(ctx, forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.User(t, "user-"+repoName, tc.scopes...), TokenSource: "$T"})
			if err != nil {
				t.Fatal(err)
			}
			repo := forge.Repo{Owner: g.Admin, Name: repoName}
			var lines []string
			p := &Publisher{T: Target{Forge: fg, Repo: repo, PR: pr, SHA: head}, Logf: func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }}
			err = p.Start(ctx, "example")
			if !forge.IsDenied(err) || !strings.Contains(err.Error(), "write:repository") {
				t.Fatalf("pending status: %v (denied %v)", err, forge.IsDenied(err))
			}
			err = p.Finish(ctx, passedRun())
			if tc.comment != (err == nil) || (err != nil && !strings.Contains(err.Error(), "write:issue")) {
				t.Errorf("finish: %v", err)
			}
			if strings.Contains(strings.Join(lines, "\n"), "status recipe-test/example") {
				t.Errorf("a status was reported: %q", lines)
			}
			var combined struct{ Statuses []struct{ Context string } }
			g.GetJSON(t, fmt.Sprintf("/repos/%s/commits/%s/status", repo, head), &combined)
			var comments []struct{ Body string }
			g.GetJSON(t, fmt.Sprintf("/repos/%s/issues/%d/comments", repo, pr), &comments)
			if len(combined.Statuses) != 0 || len(comments) != map[bool]int{true: 1, false: 0}[tc.comment] ||
				(tc.comment && !strings.HasPrefix(comments[0].Body, forge.Marker("example"))) {
				t.Errorf("statuses %+v, comments %+v", combined.Statuses, comments)
			}
		})
	}
	// A wrong repository is not a refusal: the caller stops.
	fg, err := forge.New(ctx, forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token})
	if err != nil {
		t.Fatal(err)
	}
	p := &Publisher{T: Target{Forge: fg, Repo: forge.Repo{Owner: g.Admin, Name: "no-such-repo"}, SHA: strings.Repeat("a", 40)}}
	if err := p.Start(ctx, "example"); err == nil || forge.IsDenied(err) {
		t.Errorf("wrong repository: %v", err)
	}
}
