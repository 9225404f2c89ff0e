package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/cc-ci/recipe-test/v2/internal/forge/forgetest"
	"github.com/cc-ci/recipe-test/v2/internal/sleep"
)

var commentsKey = fmt.Sprintf("POST /repos/%s/%s/issues/%d/comments", fakeOwner, fakeRepo, fakePR)

// A Retry-After longer than an attempt may last is waited for: the
// timeout bounds each attempt, not the retries with their waits. The
// test scales GitHub's 60 s down: attempts may last 1 s (ample for a
// local server on a busy machine), and the 45 s the forge asks are slept
// as 1.5 s (recorded as asked).
func TestRetryAfterLongerThanAnAttempt(t *testing.T) {
	f := newFakeGitHub(t)
	f.Fail(commentsKey, forgetest.Fault{Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "45"}, Message: "API rate limit exceeded"})
	// An attempt that hangs is cut at the attempt's timeout and retried.
	f.Fail("GET /repos/coop-cloud/example/pulls/3", forgetest.Fault{Delay: 10 * time.Second})
	var mu sync.Mutex
	var waits []time.Duration
	fg, err := New(context.Background(), Options{Kind: "github", BaseURL: f.URL, Token: installationToken,
		HTTPClient: &http.Client{Timeout: time.Second},
		Retry: RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return sleep.For(ctx, 1500*time.Millisecond)
		}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := fg.UpsertComment(context.Background(), fakeRepoRef, fakePR, Marker("x"), Marker("x")+"\nbody")
	if err != nil || !c.Created {
		t.Fatalf("comment after a 45 s Retry-After: %+v, %v", c, err)
	}
	if len(waits) != 1 || waits[0] != 45*time.Second {
		t.Errorf("waits %v, want [45s]", waits)
	}
	start := time.Now()
	sha, err := fg.PullRequestHead(context.Background(), fakeRepoRef, fakePR)
	if err != nil || sha != fakeHead {
		t.Fatalf("after a hung attempt: %q, %v", sha, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the hung attempt took %s: not cut at 1 s", d)
	}
}

// A create the forge did although it answered 502 is found again, not
// repeated; a create it did not do is sent again. Either way one comment.
func TestCommentAfter502NotDuplicated(t *testing.T) {
	for name, applied := range map[string]bool{"done, then 502": true, "not done, 502": false} {
		t.Run(name, func(t *testing.T) {
			f := newFakeGitHub(t)
			f.Fail(commentsKey, forgetest.Fault{Status: http.StatusBadGateway, Message: "Server Error", Apply: applied})
			fg, waits := gitHubClient(t, f, installationToken)
			marker := Marker("example")
			c, err := fg.UpsertComment(context.Background(), fakeRepoRef, fakePR, marker, marker+"\nrun 1")
			if err != nil || !c.Created {
				t.Fatalf("%+v, %v", c, err)
			}
			posts := strings.Count(strings.Join(f.Requests(), "\n"), "POST ")
			wantPosts := map[bool]int{true: 1, false: 2}[applied]
			if cs := f.Comments(fakeFull, fakePR); len(cs) != 1 || cs[0].Body != marker+"\nrun 1" || posts != wantPosts || len(*waits) != 1 {
				t.Errorf("%d comments %+v, %d POSTs (want %d), waits %v\n%s", len(cs), cs, posts, wantPosts, *waits, strings.Join(f.Requests(), "\n"))
			}
		})
	}
	// A status may be set again after a 502: the same state results.
	f := newFakeGitHub(t)
	f.Fail("POST /repos/coop-cloud/example/statuses/"+fakeHead, forgetest.Fault{Status: http.StatusBadGateway, Message: "Server Error"})
	fg, waits := gitHubClient(t, f, installationToken)
	if err := fg.SetStatus(context.Background(), fakeRepoRef, fakeHead, Status{Context: "recipe-test/x", State: Pending}); err != nil || len(f.Statuses(fakeFull, fakeHead)) != 1 || len(*waits) != 1 {
		t.Errorf("status after a 502: %v, statuses %+v, waits %v", err, f.Statuses(fakeFull, fakeHead), *waits)
	}
}

// Only the token's own user's comment is the sticky one: another user's
// comment carrying the marker is left alone.
func TestStickyCommentIsTheTokensOwn(t *testing.T) {
	marker := Marker("example")
	for _, tc := range []struct {
		name, token, author string
	}{
		{"workflow token", installationToken, forgetest.WorkflowBot},
		{"personal token", personalToken, "recipe-bot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGitHub(t)
			bait := marker + "\nmallory's text"
			seeded := []int64{f.AddComment(t, fakeFull, fakePR, "mallory", bait)}
			if tc.author != forgetest.WorkflowBot { // the workflow's bot is not this token's user
				seeded = append(seeded, f.AddComment(t, fakeFull, fakePR, forgetest.WorkflowBot, marker+"\nthe bot's"))
			}
			fg, _ := gitHubClient(t, f, tc.token)
			var first Comment
			for i := range 2 {
				c, err := fg.UpsertComment(context.Background(), fakeRepoRef, fakePR, marker, fmt.Sprintf("%s\nrun %d", marker, i))
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = c
				}
				if c.Created != (i == 0) || c.ID != first.ID || slices.Contains(seeded, c.ID) {
					t.Errorf("run %d: %+v (seeded %v)", i, c, seeded)
				}
			}
			cs := f.Comments(fakeFull, fakePR)
			if len(cs) != len(seeded)+1 || cs[0].Body != bait || cs[len(cs)-1].Author != tc.author || !strings.HasSuffix(cs[len(cs)-1].Body, "run 1") {
				t.Errorf("comments %+v", cs)
			}
			if n := strings.Count(strings.Join(f.Requests(), "\n"), "GET /user"); n != 1 {
				t.Errorf("GET /user %d times, want once per client", n)
			}
		})
	}
}

// An operator-named author (a GitHub App's token, which may not read
// /user) is taken as is: its comment is the sticky one.
func TestCommentAuthorOption(t *testing.T) {
	f := newFakeGitHub(t)
	marker := Marker("example")
	f.AddComment(t, fakeFull, fakePR, "mallory", marker+"\nold")
	app := f.AddComment(t, fakeFull, fakePR, "my-app[bot]", marker+"\nold")
	fg, err := New(context.Background(), Options{Kind: "github", BaseURL: f.URL, Token: installationToken, CommentAuthor: "my-app[bot]"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := fg.UpsertComment(context.Background(), fakeRepoRef, fakePR, marker, marker+"\nnew")
	cs := f.Comments(fakeFull, fakePR)
	if err != nil || c.ID != app || c.Created || len(cs) != 2 || cs[1].Body != marker+"\nnew" || cs[0].Body != marker+"\nold" {
		t.Errorf("%+v, %v, comments %+v", c, err, cs)
	}
	if strings.Contains(strings.Join(f.Requests(), "\n"), "GET /user") {
		t.Error("asked /user although the author was given")
	}
}

// A redirect to another host is refused, so the token never reaches it;
// one on the forge's own host is followed.
func TestRedirectKeepsTheToken(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		fmt.Fprint(w, `{"number":3,"head":{"sha":"0000000000000000000000000000000000000000"}}`)
	}))
	defer other.Close()
	f := newFakeGitHub(t)
	pulls := "GET /repos/coop-cloud/example/pulls/3"
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		f.Fail(pulls, forgetest.Fault{Status: status, Header: map[string]string{"Location": other.URL + "/repos/coop-cloud/example/pulls/3"}})
	}
	f.Fail(commentsKey, forgetest.Fault{Status: http.StatusPermanentRedirect, Header: map[string]string{"Location": other.URL + "/steal"}})
	fg, _ := gitHubClient(t, f, installationToken)
	ctx := context.Background()
	for i := range 2 {
		_, err := fg.PullRequestHead(ctx, fakeRepoRef, fakePR)
		var re *RedirectError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "not followed") || re.To == "" {
			t.Errorf("redirect %d: %v", i, err)
		}
	}
	if _, err := fg.UpsertComment(ctx, fakeRepoRef, fakePR, Marker("x"), "b"); err == nil || !strings.Contains(err.Error(), "not followed") {
		t.Errorf("POST redirected: %v", err)
	}
	if len(seen) != 0 {
		t.Errorf("the other host was asked: %v", seen)
	}
	if strings.Count(strings.Join(f.Requests(), "\n"), "POST ") != 1 {
		t.Errorf("a refused redirect was retried:\n%s", strings.Join(f.Requests(), "\n"))
	}
	// A move on the forge itself (a renamed repository) is followed.
	f.Fail(pulls, forgetest.Fault{Status: http.StatusMovedPermanently, Header: map[string]string{"Location": f.URL + "/repos/coop-cloud/example/pulls/3"}})
	if sha, err := fg.PullRequestHead(ctx, fakeRepoRef, fakePR); err != nil || sha != fakeHead {
		t.Errorf("same-host redirect: %q, %v", sha, err)
	}
}

func TestForgeURLChecks(t *testing.T) {
	for _, tc := range []struct {
		url       string
		allowHTTP bool
		want      string // error substring; "" = accepted
	}{
		{"https://git.coopcloud.tech", false, ""},
		{"http://127.0.0.1:3000", false, ""},
		{"http://localhost:3000/", false, ""},
		{"http://[::1]:3000", false, ""},
		{"http://git.example.org", false, "plain HTTP"},
		{"http://10.0.0.5:3000", false, "--forge-allow-http"},
		{"http://git.example.org", true, ""},
		{"https://user:secret@git.example.org", false, "credentials in the URL"},
		{"ftp://git.example.org", false, "not an http(s) URL"},
		{"git.example.org", false, "not an http(s) URL"},
	} {
		_, err := checkURL("gitea", "--forge-url", tc.url, tc.allowHTTP)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s (allow http %v): %v, want %q", tc.url, tc.allowHTTP, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", tc.url, err)
		}
	}
	// The token goes to a clone URL on the same terms; ssh and file URLs
	// get no credentials.
	for _, tc := range []struct {
		url, wantPass, wantErr string
	}{
		{"https://github.com/cc-ci/x.git", "tok", ""},
		{"http://127.0.0.1:3000/cc-ci/x.git", "tok", ""},
		{"http://git.example.org/cc-ci/x.git", "", "clone URL http://git.example.org/cc-ci/x.git is plain HTTP"},
		{"file:///tmp/x.git", "", ""},
		{"git@github.com:cc-ci/x.git", "", ""},
	} {
		auth, err := gitAuth(Options{Kind: "github", Token: "tok"}, "x-access-token", tc.url)
		var user, pass string
		if ba, ok := auth.(*githttp.BasicAuth); ok {
			user, pass = ba.Username, ba.Password
		} else if auth != nil {
			t.Errorf("gitAuth(%s) = %T", tc.url, auth)
		}
		if pass != tc.wantPass || (pass != "" && user != "x-access-token") || (tc.wantErr == "") != (err == nil) ||
			(err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("gitAuth(%s) = %q, %q, %v", tc.url, user, pass, err)
		}
	}
	// New refuses before any request: a GitHub Enterprise over plain HTTP.
	if _, err := New(context.Background(), Options{Kind: "github", BaseURL: "http://ghe.example.org/api/v3", Token: "t"}); err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Errorf("github over http: %v", err)
	}
}
