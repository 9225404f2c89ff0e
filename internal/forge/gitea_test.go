package forge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopGitea()
	os.Exit(code)
}

func giteaForgeFor(t *testing.T, g *testenv.Gitea, token string) Forge {
	t.Helper()
	fg, err := New(context.Background(), Options{Kind: "gitea", BaseURL: g.URL, Token: token, TokenSource: "$GITEA_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	return fg
}

// On a real PR with more than one page of comments (the test server pages
// by 10), ten runs leave one comment, edited in place. The new comment is
// the last of 24, past the first page.
func TestGiteaStickyCommentPaginated(t *testing.T) {
	g := testenv.GiteaServer(t)
	repoName, pr, _ := g.PullRequest(t)
	repo := Repo{g.Admin, repoName}
	fg := giteaForgeFor(t, g, g.Token)
	ctx := context.Background()
	for i := range 23 {
		if _, err := fg.UpsertComment(ctx, repo, pr, fmt.Sprintf("<!-- human %d -->", i), fmt.Sprintf("a human comment %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	marker := Marker("example")
	var first Comment
	for i := range 10 {
		c, err := fg.UpsertComment(ctx, repo, pr, marker, fmt.Sprintf("%s\nrun %d", marker, i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
		if c.Created != (i == 0) || c.ID != first.ID {
			t.Errorf("run %d: %+v (first %+v)", i, c, first)
		}
	}
	// Gitea answers this list whole (it takes no page parameters), however
	// many pages of its paging size (10 here) the comments fill.
	var all []struct {
		ID   int64
		Body string
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/issues/%d/comments", repo, pr), &all)
	var ours []string
	for _, c := range all {
		if strings.Contains(c.Body, marker) {
			ours = append(ours, c.Body)
		}
	}
	if len(all) != 24 || len(ours) != 1 || !strings.HasSuffix(ours[0], "run 9") {
		t.Errorf("%d comments, ours %q", len(all), ours)
	}
}

// Statuses land on the PR's head commit, pending then final.
func TestGiteaStatusesOnPRHead(t *testing.T) {
	g := testenv.GiteaServer(t)
	repoName, pr, head := g.PullRequest(t)
	repo := Repo{g.Admin, repoName}
	fg := giteaForgeFor(t, g, g.Token)
	ctx := context.Background()
	sha, err := fg.PullRequestHead(ctx, repo, pr)
	if err != nil || sha != head {
		t.Fatalf("head %q (want %s), %v", sha, head, err)
	}
	for _, st := range []Status{
		{Context: StatusContext("example"), State: Pending, Description: "recipe-test is running"},
		{Context: StatusContext("example"), State: Failure, Description: strings.Repeat("upgrade fails; ", 20), TargetURL: "https://ci.example.org/runs/9"},
	} {
		if err := fg.SetStatus(ctx, repo, sha, st); err != nil {
			t.Fatal(err)
		}
	}
	var combined struct {
		State    string
		Statuses []struct {
			Context     string
			Status      string
			Description string
			TargetURL   string `json:"target_url"`
		}
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/commits/%s/status", repo, sha), &combined)
	if combined.State != "failure" || len(combined.Statuses) != 1 {
		t.Fatalf("combined status %+v", combined)
	}
	s := combined.Statuses[0]
	if s.Context != "recipe-test/example" || s.Status != "failure" || len([]rune(s.Description)) != MaxDescription || s.TargetURL != "https://ci.example.org/runs/9" {
		t.Errorf("status %+v", s)
	}
}

// A token without the scopes to comment or set statuses gets an error that
// says what it lacks; a wrong token and a wrong repository say so too.
func TestGiteaPermissionErrors(t *testing.T) {
	g := testenv.GiteaServer(t)
	repoName, pr, head := g.PullRequest(t)
	repo := Repo{g.Admin, repoName}
	ctx := context.Background()
	reader := g.User(t, "reader", "read:repository", "read:issue", "read:user")
	fg := giteaForgeFor(t, g, reader)
	_, err := fg.UpsertComment(ctx, repo, pr, Marker("x"), "body")
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "write:issue") || !strings.Contains(err.Error(), "$GITEA_TOKEN") || strings.Contains(err.Error(), reader) {
		t.Errorf("comment with a read-only token: %v", err)
	}
	err = fg.SetStatus(ctx, repo, head, Status{Context: "recipe-test/x", State: Pending})
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "write:repository") {
		t.Errorf("status with a read-only token: %v", err)
	}
	// Without read:user the token cannot tell its own comment from others'.
	writer := giteaForgeFor(t, g, g.User(t, "writer", "write:repository", "write:issue"))
	_, err = writer.UpsertComment(ctx, repo, pr, Marker("x"), "body")
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "read:user") {
		t.Errorf("comment without read:user: %v", err)
	}
	_, err = New(ctx, Options{Kind: "gitea", BaseURL: g.URL, Token: "0123456789abcdef0123456789abcdef01234567", TokenSource: "$GITEA_TOKEN"})
	if err == nil {
		bad := giteaForgeFor(t, g, "0123456789abcdef0123456789abcdef01234567")
		_, err = bad.UpsertComment(ctx, repo, pr, Marker("x"), "body")
	}
	if err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "token") {
		t.Errorf("wrong token: %v", err)
	}
	admin := giteaForgeFor(t, g, g.Token)
	_, err = admin.UpsertComment(ctx, Repo{g.Admin, "no-such-repo"}, pr, Marker("x"), "body")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "no-such-repo") || !strings.Contains(err.Error(), "check --repo") {
		t.Errorf("wrong repository: %v", err)
	}
}

// Another user's comment carrying the marker, on a real pull request, is
// not taken for ours: the token's user gets its own sticky comment.
func TestGiteaStickyCommentIsTheTokensOwn(t *testing.T) {
	g := testenv.GiteaServer(t)
	repoName, pr, _ := g.PullRequest(t)
	repo := Repo{g.Admin, repoName}
	ctx := context.Background()
	marker := Marker("example")
	mallory := giteaForgeFor(t, g, g.User(t, "mallory", "write:issue", "read:repository", "read:user"))
	bait, err := mallory.UpsertComment(ctx, repo, pr, marker, marker+"\nmallory's words")
	if err != nil || !bait.Created {
		t.Fatalf("mallory's comment: %+v, %v", bait, err)
	}
	fg := giteaForgeFor(t, g, g.Token)
	var first Comment
	for i := range 2 {
		c, err := fg.UpsertComment(ctx, repo, pr, marker, fmt.Sprintf("%s\nrun %d", marker, i))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
		if c.Created != (i == 0) || c.ID == bait.ID || c.ID != first.ID {
			t.Errorf("run %d: %+v (mallory's %d)", i, c, bait.ID)
		}
	}
	var all []struct {
		ID   int64
		Body string
		User struct{ Login string }
	}
	g.GetJSON(t, fmt.Sprintf("/repos/%s/issues/%d/comments", repo, pr), &all)
	if len(all) != 2 || all[0].ID != bait.ID || all[0].Body != marker+"\nmallory's words" || all[0].User.Login != "mallory" ||
		all[1].User.Login != g.Admin || !strings.HasSuffix(all[1].Body, "run 1") {
		t.Errorf("comments %+v", all)
	}
}

// A redirect from the forge to another host is refused: the Gitea SDK's
// token never reaches it. The forge is reached through a front that
// redirects one path elsewhere and passes the rest to the real server.
func TestGiteaRedirectKeepsTheToken(t *testing.T) {
	g := testenv.GiteaServer(t)
	repoName, pr, head := g.PullRequest(t)
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "nothing here", http.StatusNotFound)
	}))
	defer other.Close()
	target, err := url.Parse(g.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	pulls := fmt.Sprintf("/api/v1/repos/%s/%s/pulls/%d", g.Admin, repoName, pr)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pulls {
			http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	fg := giteaForgeFor(t, &testenv.Gitea{URL: front.URL}, g.Token)
	repo := Repo{g.Admin, repoName}
	_, err = fg.PullRequestHead(context.Background(), repo, pr)
	var re *RedirectError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "not followed") {
		t.Errorf("redirected: %v", err)
	}
	if len(seen) != 0 {
		t.Errorf("the other host was asked: %v", seen)
	}
	// The rest goes through: the same client sets a status on the head.
	if err := fg.SetStatus(context.Background(), repo, head, Status{Context: "recipe-test/x", State: Pending}); err != nil {
		t.Errorf("status through the front: %v", err)
	}
}

// A comment the real Gitea made although a proxy in front of it answered
// 502 (the forge did the work, the answer was lost) is found again and
// edited: one comment.
func TestGiteaCommentAfter502NotDuplicated(t *testing.T) {
	g := testenv.GiteaServer(t)
	repoName, pr, _ := g.PullRequest(t)
	target, err := url.Parse(g.URL)
	if err != nil {
		t.Fatal(err)
	}
	comments := fmt.Sprintf("/api/v1/repos/%s/%s/issues/%d/comments", g.Admin, repoName, pr)
	var mu sync.Mutex
	var posts int
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		mu.Lock()
		defer mu.Unlock()
		if resp.Request.Method != http.MethodPost || resp.Request.URL.Path != comments {
			return nil
		}
		if posts++; posts == 1 {
			resp.Body.Close()
			resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
			resp.Body = io.NopCloser(strings.NewReader("upstream timed out"))
			resp.ContentLength = int64(len("upstream timed out"))
			resp.Header.Del("Content-Length")
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	defer front.Close()
	var waits []time.Duration
	fg, err := New(context.Background(), Options{Kind: "gitea", BaseURL: front.URL, Token: g.Token,
		Retry: RetryPolicy{Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	marker := Marker("example")
	c, err := fg.UpsertComment(context.Background(), Repo{g.Admin, repoName}, pr, marker, marker+"\nrun 1")
	if err != nil || !c.Created {
		t.Fatalf("%+v, %v", c, err)
	}
	var all []struct{ ID int64 }
	g.GetJSON(t, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", g.Admin, repoName, pr), &all)
	if len(all) != 1 || all[0].ID != c.ID || posts != 1 || len(waits) != 1 {
		t.Errorf("comments %+v (ours %d), %d POSTs, waits %v", all, c.ID, posts, waits)
	}
}
