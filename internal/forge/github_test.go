package forge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/forge/forgetest"
)

const (
	fakeOwner, fakeRepo, fakePR = "coop-cloud", "example", 3
	fakeHead                    = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c"
	fakeFull                    = fakeOwner + "/" + fakeRepo
	// installationToken is the workflow's: its comments are the workflow
	// bot's and it may not read /user; personalToken is recipe-bot's.
	installationToken = "ghs_fake-token-value"
	personalToken     = "ghp_personal-token-value"
)

var fakeRepoRef = Repo{fakeOwner, fakeRepo}

// newFakeGitHub is the shared fake GitHub holding coop-cloud/example and
// its pull request #3 (head fakeHead), with both tokens.
func newFakeGitHub(t *testing.T) *forgetest.GitHub {
	f := forgetest.NewGitHub(t)
	f.AddToken(installationToken, forgetest.Account{})
	f.AddToken(personalToken, forgetest.Account{Login: "recipe-bot"})
	f.AddOrg(fakeOwner)
	f.AddRepo(t, fakeOwner, fakeRepo, forgetest.RepoOptions{})
	f.AddPull(t, fakeFull, forgetest.Pull{Number: fakePR, Head: "feature", Base: "main", HeadSHA: fakeHead, Title: "A change"})
	return f
}

// gitHubClient returns a github forge for the fake, with retries that
// record their waits instead of sleeping.
func gitHubClient(t *testing.T, f *forgetest.GitHub, token string) (Forge, *[]time.Duration) {
	var waits []time.Duration
	fg, err := New(context.Background(), Options{Kind: "github", BaseURL: f.URL, Token: token, TokenSource: "$GITHUB_TOKEN",
		Retry: RetryPolicy{Max: 3, Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	return fg, &waits
}

// withMarker returns the comments that carry marker.
func withMarker(cs []forgetest.Comment, marker string) []forgetest.Comment {
	var out []forgetest.Comment
	for _, c := range cs {
		if strings.Contains(c.Body, marker) {
			out = append(out, c)
		}
	}
	return out
}

// Ten runs leave one comment, found across pages of other comments.
func TestGitHubStickyComment(t *testing.T) {
	f := newFakeGitHub(t)
	for i := range 250 { // three pages of 100
		f.AddComment(t, fakeFull, fakePR, "a-human", fmt.Sprintf("a human comment %d", i))
	}
	fg, _ := gitHubClient(t, f, installationToken)
	marker := Marker("example")
	var first Comment
	for i := range 10 {
		c, err := fg.UpsertComment(context.Background(), fakeRepoRef, fakePR, marker, fmt.Sprintf("%s\nrun %d", marker, i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
		if c.Created != (i == 0) || c.ID != first.ID || !strings.HasSuffix(c.URL, fmt.Sprintf("/pull/%d#issuecomment-%d", fakePR, c.ID)) {
			t.Errorf("run %d: %+v (first %+v)", i, c, first)
		}
	}
	all := f.Comments(fakeFull, fakePR)
	ours := withMarker(all, marker)
	if len(ours) != 1 || ours[0].ID != first.ID || !strings.HasSuffix(ours[0].Body, "run 9") || ours[0].Author != forgetest.WorkflowBot || len(all) != 251 {
		t.Errorf("%d comments carry the marker: %+v (of %d)", len(ours), ours, len(all))
	}
	// The comment sits on page 3: every later run followed the Link header there.
	pages := strings.Join(f.Requests(), "\n")
	if !strings.Contains(pages, "page=3") || strings.Contains(pages, "page=4") {
		t.Errorf("requests:\n%s", pages)
	}
	// Another recipe's comment is its own.
	if c, err := fg.UpsertComment(context.Background(), fakeRepoRef, fakePR, Marker("other"), Marker("other")+"\nx"); err != nil || !c.Created {
		t.Errorf("other recipe: %+v %v", c, err)
	}
}

func TestGitHubStatusesOnPRHead(t *testing.T) {
	f := newFakeGitHub(t)
	fg, _ := gitHubClient(t, f, installationToken)
	ctx := context.Background()
	sha, err := fg.PullRequestHead(ctx, fakeRepoRef, fakePR)
	if err != nil || sha != fakeHead {
		t.Fatalf("head %q, %v", sha, err)
	}
	long := strings.Repeat("backs up and restores; ", 20)
	for _, st := range []Status{{Context: StatusContext("example"), State: Pending, Description: "running"},
		{Context: StatusContext("example"), State: Success, Description: long, TargetURL: "https://ci.example.org/run/1"}} {
		if err := fg.SetStatus(ctx, fakeRepoRef, sha, st); err != nil {
			t.Fatal(err)
		}
	}
	sts := f.Statuses(fakeFull, fakeHead)
	if len(sts) != 2 || sts[0].State != "pending" || sts[1].State != "success" ||
		sts[1].Context != "recipe-test/example" || len([]rune(sts[1].Description)) != MaxDescription ||
		sts[1].TargetURL != "https://ci.example.org/run/1" {
		t.Errorf("statuses %+v", sts)
	}
}

// Secondary rate limits (403 + Retry-After), primary ones (403 with no
// requests remaining) and 5xx are retried as asked; too long a wait and
// exhausted retries are not.
func TestGitHubRetries(t *testing.T) {
	ctx := context.Background()
	secondary := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."

	f := newFakeGitHub(t)
	f.Fail(commentsKey,
		forgetest.Fault{Status: 403, Header: map[string]string{"Retry-After": "7"}, Message: secondary},
		forgetest.Fault{Status: 403, Header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(time.Now().Add(20*time.Second).Unix(), 10)}, Message: "API rate limit exceeded for installation."},
		forgetest.Fault{Status: 502, Message: "Server Error"})
	fg, waits := gitHubClient(t, f, installationToken)
	if _, err := fg.UpsertComment(ctx, fakeRepoRef, fakePR, Marker("x"), "body"); err != nil {
		t.Fatalf("after retries: %v", err)
	}
	// The 502 to the create is not resent by the transport: the comments
	// are listed again first (the first backoff, 1 s).
	if len(*waits) != 3 || (*waits)[0] != 7*time.Second || (*waits)[1] < 15*time.Second || (*waits)[1] > 21*time.Second || (*waits)[2] != time.Second {
		t.Errorf("waits %v (want 7s, ~20s, then backoff 1s)", *waits)
	}
	if n := len(f.Comments(fakeFull, fakePR)); n != 1 {
		t.Errorf("%d comments: retried requests must not duplicate", n)
	}

	f = newFakeGitHub(t)
	f.Fail(commentsKey, forgetest.Fault{Status: 403, Header: map[string]string{"Retry-After": "3600"}, Message: secondary})
	fg, waits = gitHubClient(t, f, installationToken)
	_, err := fg.UpsertComment(ctx, fakeRepoRef, fakePR, Marker("x"), "body")
	if err == nil || len(*waits) != 0 || !strings.Contains(err.Error(), "403") {
		t.Errorf("an hour's wait is not waited for: %v, waits %v", err, *waits)
	}

	f = newFakeGitHub(t)
	for range 4 {
		f.Fail(commentsKey, forgetest.Fault{Status: 503, Message: "Service Unavailable"})
	}
	fg, waits = gitHubClient(t, f, installationToken)
	_, err = fg.UpsertComment(ctx, fakeRepoRef, fakePR, Marker("x"), "body")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 || len(*waits) != 3 {
		t.Errorf("exhausted retries: %v, waits %v", err, *waits)
	}
}

// 401, 403 and 404 say which token permission or repository is wrong, and
// never show the token.
func TestGitHubErrors(t *testing.T) {
	ctx := context.Background()
	f := newFakeGitHub(t)
	bad, _ := gitHubClient(t, f, "ghp_wrong-token-value")
	_, err := bad.UpsertComment(ctx, fakeRepoRef, fakePR, Marker("x"), "b")
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Bad credentials") ||
		!strings.Contains(err.Error(), "$GITHUB_TOKEN") || strings.Contains(err.Error(), "ghp_wrong-token-value") {
		t.Errorf("401: %v", err)
	}

	statusKey := fmt.Sprintf("POST /repos/%s/%s/statuses/%s", fakeOwner, fakeRepo, fakeHead)
	f.Fail(statusKey, forgetest.Fault{Status: 403, Message: "Resource not accessible by integration"})
	good, waits := gitHubClient(t, f, installationToken)
	err = good.SetStatus(ctx, fakeRepoRef, fakeHead, Status{Context: "recipe-test/x", State: Failure})
	if err == nil || !strings.Contains(err.Error(), "Resource not accessible by integration") || !strings.Contains(err.Error(), "statuses: write") || len(*waits) != 0 {
		t.Errorf("403: %v (waits %v)", err, *waits)
	}

	_, err = good.UpsertComment(ctx, Repo{"coop-cloud", "nope"}, fakePR, Marker("x"), "b")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "coop-cloud/nope") || !strings.Contains(err.Error(), "check --repo") {
		t.Errorf("404: %v", err)
	}
	if strings.Contains(fmt.Sprint(f.Requests()), installationToken) {
		t.Error("the token leaked into a URL")
	}
}

func TestParseRepoAndEvent(t *testing.T) {
	if r, err := ParseRepo("coop-cloud/custom-html"); err != nil || r.Owner != "coop-cloud" || r.Name != "custom-html" {
		t.Errorf("ParseRepo = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "x", "a/b/c", "a b/c"} {
		if _, err := ParseRepo(bad); err == nil {
			t.Errorf("ParseRepo(%q) accepted", bad)
		}
	}
	dir := t.TempDir()
	write := func(s string) string {
		p := dir + "/event.json"
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	e, err := ReadEvent(write(`{"action":"synchronize","number":7,"pull_request":{"number":7,"head":{"sha":"abc123","ref":"feature"},"base":{"ref":"main"}}}`))
	if err != nil || e.PR != 7 || e.HeadSHA != "abc123" {
		t.Errorf("pull_request event: %+v, %v", e, err)
	}
	// workflow_run: the completed run's commit and page; its pull request
	// only when GitHub names it (never a fork's).
	e, err = ReadEvent(write(`{"action":"completed","workflow_run":{"event":"pull_request","head_sha":"abc123","html_url":"https://github.com/o/r/actions/runs/9","pull_requests":[{"number":7,"head":{"sha":"abc123"}}]}}`))
	if err != nil || !e.WorkflowRun || e.PR != 7 || e.HeadSHA != "abc123" || e.RunURL != "https://github.com/o/r/actions/runs/9" {
		t.Errorf("workflow_run event: %+v, %v", e, err)
	}
	e, err = ReadEvent(write(`{"action":"completed","workflow_run":{"event":"pull_request","head_sha":"abc123","pull_requests":[{"number":8,"head":{"sha":"fff"}}]}}`))
	if err != nil || !e.WorkflowRun || e.PR != 0 || e.HeadSHA != "abc123" {
		t.Errorf("workflow_run of another head: %+v, %v", e, err)
	}
	if e, err := ReadEvent(write(`{"ref":"refs/heads/main","after":"def"}`)); err != nil || e.PR != 0 {
		t.Errorf("push event: %+v, %v", e, err)
	}
	if _, err := ReadEvent(write(`{`)); err == nil {
		t.Error("broken payload accepted")
	}
}

func TestDescribeAndMarker(t *testing.T) {
	if d := Describe(strings.Repeat("é", 200)); len([]rune(d)) != MaxDescription || !strings.HasSuffix(d, "…") {
		t.Errorf("Describe cut to %d runes", len([]rune(d)))
	}
	if Marker("a-->b") == Marker("ab ") || strings.Count(Marker("a-->b"), "-->") != 1 {
		t.Errorf("marker %q", Marker("a-->b"))
	}
}
