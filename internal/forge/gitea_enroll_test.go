package forge

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// staleList answers the first listing of pull requests with none, as a
// listing made just before another enrollment opened its pull request.
type staleList struct {
	base   http.RoundTripper
	hidden atomic.Bool
}

func (s *staleList) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/pulls") && s.hidden.CompareAndSwap(false, true) {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader("[]")), Request: r}, nil
	}
	return s.base.RoundTrip(r)
}

// Two enrollments racing: the one whose listing missed the other's pull
// request gets Gitea's 409 when it opens its own, looks again and updates
// the existing one instead of failing or duplicating it.
func TestGiteaUpsertPullRequestRace(t *testing.T) {
	g := testenv.GiteaServer(t)
	repoName, pr, _ := g.PullRequest(t)
	stale := &staleList{base: http.DefaultTransport}
	f, err := New(context.Background(), Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token, HTTPClient: &http.Client{Transport: stale}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.UpsertPullRequest(context.Background(), Repo{g.Admin, repoName}, PullRequestSpec{Head: "change", Base: "main", Title: "Change", Body: "updated by the loser of the race"})
	if err != nil {
		t.Fatal(err)
	}
	if !stale.hidden.Load() || got.Created || got.Number != pr {
		t.Errorf("upsert after a stale listing: %+v, want an update of #%d", got, pr)
	}
	var p struct{ Body string }
	g.GetJSON(t, "/repos/"+g.Admin+"/"+repoName+"/pulls/"+strconv.Itoa(pr), &p)
	if p.Body != "updated by the loser of the race" {
		t.Errorf("body %q", p.Body)
	}
}
