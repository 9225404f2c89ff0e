package mirror_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/mirror"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// giteaUpstream is a real Gitea with an organisation for mirrors and an
// upstream repository (upstreamSource) owned by another user.
type giteaUpstream struct {
	g     *testenv.Gitea
	f     mirror.Forge
	org   string
	owner string // the upstream's owner
	name  string
	url   string // the upstream's clone URL
	auth  *githttp.BasicAuth
}

func newGiteaUpstream(t *testing.T) *giteaUpstream {
	t.Helper()
	g := testenv.GiteaServer(t)
	u := &giteaUpstream{g: g, org: g.Org(t), name: "app", auth: &githttp.BasicAuth{Username: g.Admin, Password: g.Token}}
	u.owner = "up-" + u.org
	g.User(t, u.owner, "read:user")
	u.url = g.Import(t, u.owner, u.name, upstreamSource(t))
	f, err := forge.New(context.Background(), forge.Options{Kind: "gitea", BaseURL: g.URL, Token: g.Token, TokenSource: "$TEST_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	u.f = f
	return u
}

func (u *giteaUpstream) spec(upstream string) mirror.Spec {
	return mirror.Spec{Repo: forge.Repo{Owner: u.org, Name: u.name}, Upstream: upstream}
}

// A new pull mirror shows every upstream branch and tag once Sync
// returns; after upstream moves (a commit, a deleted branch), Sync of the
// existing mirror brings it level again.
func TestGiteaPullMirror(t *testing.T) {
	u := newGiteaUpstream(t)
	ctx := context.Background()
	m, err := mirror.Find(ctx, u.f, u.spec(u.url))
	if err != nil || m.Exists {
		t.Fatalf("find before creation: %+v, %v", m, err)
	}
	created, err := m.Sync(ctx, cloneUpstream(t, u.url, u.auth))
	if err != nil || !created || !m.Exists || !m.Pulls() {
		t.Fatalf("sync: created %v, %+v, %v", created, m, err)
	}
	var info struct {
		Mirror         bool   `json:"mirror"`
		OriginalURL    string `json:"original_url"`
		MirrorInterval string `json:"mirror_interval"`
		Description    string `json:"description"`
	}
	u.g.GetJSON(t, "/repos/"+u.org+"/"+u.name, &info)
	if !info.Mirror || info.OriginalURL != u.url || info.MirrorInterval != "8h0m0s" || !strings.Contains(info.Description, u.url) {
		t.Errorf("the mirror on Gitea: %+v; want a pull mirror of %s every 8h", info, u.url)
	}
	if m.Info.CloneURL == "" || !m.Info.Mirror {
		t.Errorf("mirror info %+v", m.Info)
	}
	sameRefs(t, lsRemote(t, m.Info.CloneURL, u.auth), lsRemote(t, u.url, u.auth))

	upRepo := "/repos/" + u.owner + "/" + u.name
	u.g.Do(t, http.MethodDelete, upRepo+"/branches/feature", nil, nil, http.StatusNoContent)
	u.g.Do(t, http.MethodPost, upRepo+"/contents/CHANGELOG.md", map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("# 1.0.2\n")),
		"message": "Changelog", "branch": "main"}, nil, http.StatusCreated)
	up := lsRemote(t, u.url, u.auth)
	if _, ok := up["refs/heads/feature"]; ok {
		t.Fatal("upstream still has the deleted branch")
	}
	again, err := mirror.Find(ctx, u.f, u.spec(u.url))
	if err != nil || !again.Exists {
		t.Fatalf("find the existing mirror: %+v, %v", again, err)
	}
	created, err = again.Sync(ctx, cloneUpstream(t, u.url, u.auth))
	if err != nil || created {
		t.Fatalf("sync of the existing mirror: created %v, %v", created, err)
	}
	mirrored := lsRemote(t, again.Info.CloneURL, u.auth)
	if mirrored["refs/heads/main"] != up["refs/heads/main"] || mirrored["refs/heads/feature"] != "" || len(mirrored) != len(up) {
		t.Errorf("mirror after upstream moved: %v; upstream %v", mirrored, up)
	}
}

// A repository of the mirror's name that does not follow this upstream is
// someone else's: Find refuses it, naming it and what it follows.
func TestGiteaFindRefusesAnotherRepository(t *testing.T) {
	u := newGiteaUpstream(t)
	ctx := context.Background()
	u.g.Import(t, u.org, u.name, upstreamSource(t)) // a plain copy, no mirror
	_, err := mirror.Find(ctx, u.f, u.spec(u.url))
	if err == nil || !strings.Contains(err.Error(), u.org+"/"+u.name+" exists and is not a pull mirror") {
		t.Errorf("a plain repository of the mirror's name: %v", err)
	}

	other := mirror.Spec{Repo: forge.Repo{Owner: u.org, Name: "other"}, Upstream: u.url}
	m, err := mirror.Find(ctx, u.f, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sync(ctx, cloneUpstream(t, u.url, u.auth)); err != nil {
		t.Fatal(err)
	}
	elsewhere := other
	elsewhere.Upstream = u.g.URL + "/someone/else.git"
	_, err = mirror.Find(ctx, u.f, elsewhere)
	if err == nil || !strings.Contains(err.Error(), "is not a mirror of "+elsewhere.Upstream) || !strings.Contains(err.Error(), u.url) {
		t.Errorf("a pull mirror of another upstream: %v", err)
	}
	// The same upstream spelt differently is the same mirror.
	if _, err := mirror.Find(ctx, u.f, mirror.Spec{Repo: other.Repo, Upstream: strings.TrimSuffix(u.url, ".git") + "/"}); err != nil {
		t.Errorf("the mirror of the same upstream, spelt differently: %v", err)
	}
}

// A mirror that never shows upstream's refs fails after the timeout,
// naming what it lacks.
func TestGiteaSyncTimesOut(t *testing.T) {
	u := newGiteaUpstream(t)
	ctx := context.Background()
	clone := cloneUpstream(t, u.url, u.auth)
	head, err := clone.Head()
	if err != nil {
		t.Fatal(err)
	}
	// A branch the clone says upstream has, which the pull mirror never gets.
	if err := clone.Storer.SetReference(plumbing.NewHashReference("refs/remotes/origin/phantom", head.Hash())); err != nil {
		t.Fatal(err)
	}
	spec := u.spec(u.url)
	spec.Timeout = time.Second
	m, err := mirror.Find(ctx, u.f, spec)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	created, err := m.Sync(ctx, clone)
	if !created || err == nil || !strings.Contains(err.Error(), "differs from upstream after 1s: 1 refs missing or behind (refs/heads/phantom), 0 upstream no longer has") {
		t.Errorf("sync that cannot match: created %v, %v", created, err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the timeout of 1s took %s", d)
	}
}
