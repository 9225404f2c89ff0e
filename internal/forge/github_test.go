package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub answers the REST endpoints recipe-test uses with the response
// shapes GitHub documents (docs.github.com/rest): issue comments (list with
// Link pagination, create, update), commit statuses, pull requests, and
// its error bodies and rate-limit headers. github.com cannot run here.
type fakeGitHub struct {
	t     *testing.T
	srv   *httptest.Server
	token string // an installation token, as the workflow's
	// users maps each valid token to its user's login; "" for an
	// installation token, whose comments the workflow's bot authors.
	users map[string]string

	mu       sync.Mutex
	comments []ghComment // on owner/repo#3
	nextID   int64
	statuses []map[string]string
	requests []string
	faults   map[string][]fault // "METHOD path" -> responses to give first
}

type ghComment struct {
	ID     int64
	Body   string
	Author string // login; "" = github-actions[bot]
}

// fault is an answer given instead of the normal one. With apply, the
// request is done first and its answer replaced (a proxy that times out
// waiting for a forge that did the work); delay holds the answer back.
type fault struct {
	status  int
	headers map[string]string
	body    string
	apply   bool
	delay   time.Duration
}

const (
	fakeOwner, fakeRepo, fakePR = "coop-cloud", "example", 3
	fakeHead                    = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c"
)

func newFakeGitHub(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, token: "ghs_fake-token-value", nextID: 1000, faults: map[string][]fault{},
		users: map[string]string{"ghs_fake-token-value": "", "ghp_personal-token-value": "recipe-bot"}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) fault(key string, fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[key] = append(f.faults[key], fs...)
}

func (f *fakeGitHub) errorBody(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

func (f *fakeGitHub) commentJSON(c ghComment) map[string]any {
	return map[string]any{
		"id": c.ID, "node_id": fmt.Sprintf("IC_%d", c.ID), "body": c.Body,
		"url":        fmt.Sprintf("%s/repos/%s/%s/issues/comments/%d", f.srv.URL, fakeOwner, fakeRepo, c.ID),
		"html_url":   fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", fakeOwner, fakeRepo, fakePR, c.ID),
		"issue_url":  fmt.Sprintf("%s/repos/%s/%s/issues/%d", f.srv.URL, fakeOwner, fakeRepo, fakePR),
		"user":       f.userJSON(c.Author),
		"created_at": "2026-11-26T12:00:00Z", "updated_at": "2026-11-26T12:00:00Z", "author_association": "NONE",
	}
}

// userJSON is a simple user as GitHub shows comment authors.
func (f *fakeGitHub) userJSON(login string) map[string]any {
	if login == "" {
		return map[string]any{"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
	}
	return map[string]any{"login": login, "id": 1000 + len(login), "type": "User"}
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.requests = append(f.requests, key+"?"+r.URL.RawQuery)
	var flt *fault
	if q := f.faults[key]; len(q) > 0 {
		flt = &q[0]
		f.faults[key] = q[1:]
	}
	f.mu.Unlock()
	if flt != nil && flt.delay > 0 {
		select {
		case <-time.After(flt.delay):
		case <-r.Context().Done():
			return
		}
	}
	if flt != nil && flt.status != 0 {
		if flt.apply {
			f.handle(httptest.NewRecorder(), r, key)
		}
		for k, v := range flt.headers {
			w.Header().Set(k, v)
		}
		f.errorBody(w, flt.status, flt.body)
		return
	}
	f.handle(w, r, key)
}

func (f *fakeGitHub) handle(w http.ResponseWriter, r *http.Request, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	login, ok := "", false
	if tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
		login, ok = f.users[tok]
	}
	if !ok {
		f.errorBody(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	base := fmt.Sprintf("/repos/%s/%s", fakeOwner, fakeRepo)
	switch {
	case key == "GET /user" && login == "":
		// docs.github.com: an installation token may not read /user.
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]string{"message": "Resource not accessible by integration",
			"documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user", "status": "403"})
	case key == "GET /user":
		json.NewEncoder(w).Encode(f.userJSON(login))
	case key == "GET "+base+fmt.Sprintf("/issues/%d/comments", fakePR):
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if per <= 0 || per > 100 {
			per = 30
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		last := max((len(f.comments)+per-1)/per, 1)
		link := func(p int, rel string) string {
			return fmt.Sprintf(`<%s%s?per_page=%d&page=%d>; rel="%s"`, f.srv.URL, r.URL.Path, per, p, rel)
		}
		var links []string
		if page < last {
			links = append(links, link(page+1, "next"), link(last, "last"))
		}
		if page > 1 {
			links = append(links, link(1, "first"), link(page-1, "prev"))
		}
		if len(links) > 0 {
			w.Header().Set("Link", strings.Join(links, ", "))
		}
		out := []map[string]any{}
		for i := (page - 1) * per; i < min(page*per, len(f.comments)); i++ {
			out = append(out, f.commentJSON(f.comments[i]))
		}
		json.NewEncoder(w).Encode(out)
	case key == "POST "+base+fmt.Sprintf("/issues/%d/comments", fakePR):
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		f.nextID++
		c := ghComment{ID: f.nextID, Body: in.Body, Author: login}
		f.comments = append(f.comments, c)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(f.commentJSON(c))
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, base+"/issues/comments/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, base+"/issues/comments/"), 10, 64)
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		for i := range f.comments {
			if f.comments[i].ID == id {
				f.comments[i].Body = in.Body
				json.NewEncoder(w).Encode(f.commentJSON(f.comments[i]))
				return
			}
		}
		f.errorBody(w, http.StatusNotFound, "Not Found")
	case key == "POST "+base+"/statuses/"+fakeHead:
		var in map[string]string
		json.NewDecoder(r.Body).Decode(&in)
		if len(in["description"]) > 0 && len([]rune(in["description"])) > 140 {
			f.errorBody(w, http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		f.statuses = append(f.statuses, in)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": len(f.statuses), "state": in["state"], "description": in["description"],
			"context": in["context"], "target_url": in["target_url"], "created_at": "2026-11-26T12:00:00Z"})
	case key == "GET "+base+fmt.Sprintf("/pulls/%d", fakePR):
		json.NewEncoder(w).Encode(map[string]any{"number": fakePR, "state": "open",
			"head": map[string]any{"sha": fakeHead, "ref": "feature"}, "base": map[string]any{"sha": "0000", "ref": "main"}})
	default:
		f.errorBody(w, http.StatusNotFound, "Not Found")
	}
}

// client returns a github forge for the fake, with retries that record
// their waits instead of sleeping.
func (f *fakeGitHub) client(t *testing.T, token string) (Forge, *[]time.Duration) {
	var waits []time.Duration
	fg, err := New(context.Background(), Options{Kind: "github", BaseURL: f.srv.URL, Token: token, TokenSource: "$GITHUB_TOKEN",
		Retry: RetryPolicy{Max: 3, Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	return fg, &waits
}

var fakeRepoRef = Repo{fakeOwner, fakeRepo}

// Ten runs leave one comment, found across pages of other comments.
func TestGitHubStickyComment(t *testing.T) {
	f := newFakeGitHub(t)
	for i := range 250 { // three pages of 100
		f.comments = append(f.comments, ghComment{ID: int64(i + 1), Body: fmt.Sprintf("a human comment %d", i)})
	}
	fg, _ := f.client(t, f.token)
	marker := Marker("example")
	for i := range 10 {
		c, err := fg.UpsertComment(context.Background(), fakeRepoRef, fakePR, marker, fmt.Sprintf("%s\nrun %d", marker, i))
		if err != nil {
			t.Fatal(err)
		}
		if c.Created != (i == 0) || c.ID != 1001 || !strings.Contains(c.URL, "#issuecomment-1001") {
			t.Errorf("run %d: %+v", i, c)
		}
	}
	var ours []ghComment
	for _, c := range f.comments {
		if strings.Contains(c.Body, marker) {
			ours = append(ours, c)
		}
	}
	if len(ours) != 1 || !strings.HasSuffix(ours[0].Body, "run 9") || len(f.comments) != 251 {
		t.Errorf("%d comments carry the marker: %+v (of %d)", len(ours), ours, len(f.comments))
	}
	// The comment sits on page 3: every later run followed the Link header there.
	pages := strings.Join(f.requests, "\n")
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
	fg, _ := f.client(t, f.token)
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
	if len(f.statuses) != 2 || f.statuses[0]["state"] != "pending" || f.statuses[1]["state"] != "success" ||
		f.statuses[1]["context"] != "recipe-test/example" || len([]rune(f.statuses[1]["description"])) != MaxDescription ||
		f.statuses[1]["target_url"] != "https://ci.example.org/run/1" {
		t.Errorf("statuses %+v", f.statuses)
	}
}

// Secondary rate limits (403 + Retry-After), primary ones (403 with no
// requests remaining) and 5xx are retried as asked; too long a wait and
// exhausted retries are not.
func TestGitHubRetries(t *testing.T) {
	ctx := context.Background()
	commentsKey := fmt.Sprintf("POST /repos/%s/%s/issues/%d/comments", fakeOwner, fakeRepo, fakePR)
	secondary := "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."

	f := newFakeGitHub(t)
	f.fault(commentsKey,
		fault{status: 403, headers: map[string]string{"Retry-After": "7"}, body: secondary},
		fault{status: 403, headers: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(time.Now().Add(20*time.Second).Unix(), 10)}, body: "API rate limit exceeded for installation."},
		fault{status: 502, body: "Server Error"})
	fg, waits := f.client(t, f.token)
	if _, err := fg.UpsertComment(ctx, fakeRepoRef, fakePR, Marker("x"), "body"); err != nil {
		t.Fatalf("after retries: %v", err)
	}
	// The 502 to the create is not resent by the transport: the comments
	// are listed again first (the first backoff, 1 s).
	if len(*waits) != 3 || (*waits)[0] != 7*time.Second || (*waits)[1] < 15*time.Second || (*waits)[1] > 21*time.Second || (*waits)[2] != time.Second {
		t.Errorf("waits %v (want 7s, ~20s, then backoff 1s)", *waits)
	}
	if len(f.comments) != 1 {
		t.Errorf("%d comments: retried requests must not duplicate", len(f.comments))
	}

	f = newFakeGitHub(t)
	f.fault(commentsKey, fault{status: 403, headers: map[string]string{"Retry-After": "3600"}, body: secondary})
	fg, waits = f.client(t, f.token)
	_, err := fg.UpsertComment(ctx, fakeRepoRef, fakePR, Marker("x"), "body")
	if err == nil || len(*waits) != 0 || !strings.Contains(err.Error(), "403") {
		t.Errorf("an hour's wait is not waited for: %v, waits %v", err, *waits)
	}

	f = newFakeGitHub(t)
	for range 4 {
		f.fault(commentsKey, fault{status: 503, body: "Service Unavailable"})
	}
	fg, waits = f.client(t, f.token)
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
	bad, _ := f.client(t, "ghp_wrong-token-value")
	_, err := bad.UpsertComment(ctx, fakeRepoRef, fakePR, Marker("x"), "b")
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Bad credentials") ||
		!strings.Contains(err.Error(), "$GITHUB_TOKEN") || strings.Contains(err.Error(), "ghp_wrong-token-value") {
		t.Errorf("401: %v", err)
	}

	statusKey := fmt.Sprintf("POST /repos/%s/%s/statuses/%s", fakeOwner, fakeRepo, fakeHead)
	f.fault(statusKey, fault{status: 403, body: "Resource not accessible by integration"})
	good, waits := f.client(t, f.token)
	err = good.SetStatus(ctx, fakeRepoRef, fakeHead, Status{Context: "recipe-test/x", State: Failure})
	if err == nil || !strings.Contains(err.Error(), "Resource not accessible by integration") || !strings.Contains(err.Error(), "statuses: write") || len(*waits) != 0 {
		t.Errorf("403: %v (waits %v)", err, *waits)
	}

	_, err = good.UpsertComment(ctx, Repo{"coop-cloud", "nope"}, fakePR, Marker("x"), "b")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "coop-cloud/nope") || !strings.Contains(err.Error(), "check --repo") {
		t.Errorf("404: %v", err)
	}
	if strings.Contains(fmt.Sprint(f.requests), f.token) {
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
	if err != nil || e.PR != 7 || e.HeadSHA != "abc123" || e.BaseRef != "main" {
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
