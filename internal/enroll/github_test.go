package enroll_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/cc-ci/recipe-test/v2/internal/enroll"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// fakeGitHub answers the REST endpoints enrollment uses with the shapes
// GitHub documents (docs.github.com/rest: repos "Get a repository" and
// "Create an organization repository", users "Get a user", pulls "List",
// "Create" and "Update"), including its 403 and 404 bodies. Its
// repositories' clone_url are local bare repositories, so the git pushes
// are real. github.com cannot be reached from here.
type fakeGitHub struct {
	t     *testing.T
	srv   *httptest.Server
	dir   string
	token string
	// canCreate is false for a token without permission to create
	// repositories.
	canCreate bool

	// stalePulls makes the next listing of pull requests answer none, as
	// one made just before another enrollment opened its pull request.
	stalePulls bool

	mu    sync.Mutex
	repos map[string]map[string]any // "owner/name" -> repository JSON
	pulls []map[string]any
	calls []string
}

const ghOrg = "cc-ci"

func newFakeGitHub(t *testing.T, ciSource string) *fakeGitHub {
	f := &fakeGitHub{t: t, dir: t.TempDir(), token: "ghp_fake-enroll-token", canCreate: true, repos: map[string]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	// The CI repository: a bare clone of ciSource.
	bare := filepath.Join(f.dir, "recipe-test.git")
	if _, err := git.PlainClone(bare, true, &git.CloneOptions{URL: ciSource}); err != nil {
		t.Fatal(err)
	}
	f.repos[ghOrg+"/recipe-test"] = f.repoJSON("recipe-test", bare, "", 120)
	return f
}

func (f *fakeGitHub) repoJSON(name, bare, homepage string, size int) map[string]any {
	return map[string]any{
		"id": len(f.repos) + 1, "node_id": "R_" + name, "name": name, "full_name": ghOrg + "/" + name,
		"owner":   map[string]any{"login": ghOrg, "id": 1, "type": "Organization"},
		"private": false, "html_url": "https://github.com/" + ghOrg + "/" + name,
		"clone_url": "file://" + bare, "homepage": homepage, "default_branch": "main", "size": size,
		"permissions": map[string]bool{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true},
	}
}

func (f *fakeGitHub) errorBody(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

func (f *fakeGitHub) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.errorBody(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v3"), "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "user":
		f.json(w, http.StatusOK, map[string]any{"login": "ci-bot", "id": 8, "type": "User"})
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "users":
		typ := "User"
		if parts[1] == ghOrg {
			typ = "Organization"
		}
		f.json(w, http.StatusOK, map[string]any{"login": parts[1], "id": 7, "type": typ})
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "repos":
		repo, ok := f.repos[parts[1]+"/"+parts[2]]
		if !ok {
			f.errorBody(w, http.StatusNotFound, "Not Found")
			return
		}
		f.json(w, http.StatusOK, repo)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos":
		if !f.canCreate {
			f.errorBody(w, http.StatusForbidden, "Resource not accessible by personal access token")
			return
		}
		var in struct {
			Name, Description, Homepage string
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
			f.errorBody(w, http.StatusUnprocessableEntity, "Validation Failed")
			return
		}
		if _, ok := f.repos[parts[1]+"/"+in.Name]; ok {
			f.errorBody(w, http.StatusUnprocessableEntity, "Repository creation failed.")
			return
		}
		bare := filepath.Join(f.dir, in.Name+".git")
		if _, err := git.PlainInit(bare, true); err != nil {
			f.errorBody(w, http.StatusInternalServerError, err.Error())
			return
		}
		repo := f.repoJSON(in.Name, bare, in.Homepage, 0)
		repo["permissions"] = map[string]bool{"admin": true, "maintain": true, "push": true, "triage": true, "pull": true}
		f.repos[parts[1]+"/"+in.Name] = repo
		f.json(w, http.StatusCreated, repo)
	case len(parts) == 4 && parts[0] == "repos" && parts[3] == "pulls":
		f.servePulls(w, r, parts[1]+"/"+parts[2])
	case r.Method == http.MethodPatch && len(parts) == 5 && parts[0] == "repos" && parts[3] == "pulls":
		n, _ := strconv.Atoi(parts[4])
		for _, p := range f.pulls {
			if p["number"] == n {
				var in map[string]any
				json.NewDecoder(r.Body).Decode(&in)
				for k, v := range in {
					p[k] = v
				}
				f.json(w, http.StatusOK, p)
				return
			}
		}
		f.errorBody(w, http.StatusNotFound, "Not Found")
	default:
		f.errorBody(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fakeGitHub) servePulls(w http.ResponseWriter, r *http.Request, repo string) {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		out := []map[string]any{}
		if f.stalePulls {
			f.stalePulls = false
			f.json(w, http.StatusOK, out)
			return
		}
		for _, p := range f.pulls {
			head := p["head"].(map[string]any)
			if h := q.Get("head"); h != "" && h != head["label"] {
				continue
			}
			if b := q.Get("base"); b != "" && b != p["base"].(map[string]any)["ref"] {
				continue
			}
			if st := q.Get("state"); st != "all" && st != p["state"] {
				continue
			}
			out = append(out, p)
		}
		f.json(w, http.StatusOK, out)
	case http.MethodPost:
		var in struct{ Title, Head, Base, Body string }
		json.NewDecoder(r.Body).Decode(&in)
		for _, p := range f.pulls {
			if p["head"].(map[string]any)["ref"] == in.Head && p["state"] == "open" {
				f.json(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
					"errors": []map[string]string{{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for " + ghOrg + ":" + in.Head + "."}}})
				return
			}
		}
		n := len(f.pulls) + 1
		p := map[string]any{
			"number": n, "state": "open", "title": in.Title, "body": in.Body, "merged_at": nil,
			"html_url": fmt.Sprintf("https://github.com/%s/pull/%d", repo, n),
			"head":     map[string]any{"ref": in.Head, "label": ghOrg + ":" + in.Head, "sha": "0000000000000000000000000000000000000000"},
			"base":     map[string]any{"ref": in.Base, "label": ghOrg + ":" + in.Base},
		}
		f.pulls = append(f.pulls, p)
		f.json(w, http.StatusCreated, p)
	default:
		f.errorBody(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fakeGitHub) enroller(t *testing.T) forge.Enroller {
	t.Helper()
	e, err := forge.NewEnroller(context.Background(), forge.Options{Kind: "github", BaseURL: f.srv.URL + "/api/v3/", Token: f.token, TokenSource: "$GH_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEnrollGitHub: the same flow against GitHub's documented API: the
// mirror repository is created and every branch and tag pushed (to a local
// bare repository); enrolling again creates nothing new; an upstream
// commit is pushed to the mirror on the next enrollment.
func TestEnrollGitHub(t *testing.T) {
	upDir, name, tags := testenv.RecipeRepo(t, "bonfire")
	f := newFakeGitHub(t, ciRepo(t))
	ctx := context.Background()
	r, _ := git.PlainOpen(upDir)
	head, _ := r.Head()
	if err := r.Storer.SetReference(plumbing.NewHashReference("refs/heads/feature", head.Hash())); err != nil {
		t.Fatal(err)
	}
	opts := func() enroll.Options {
		return enroll.Options{Name: name, Upstream: "file://" + upDir, Forge: f.enroller(t),
			Repo: forge.Repo{Owner: ghOrg, Name: "recipe-test"}, RecipesDir: t.TempDir(), WorkDir: t.TempDir()}
	}
	res, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if !res.MirrorCreated || !res.PullRequest.Created || res.Commit == "" {
		t.Fatalf("first enrollment: %+v", res)
	}
	mirrorURL := res.Mirror.CloneURL
	up := lsRemote(t, "file://"+upDir, nil)
	mirrored := lsRemote(t, mirrorURL, nil)
	if len(up) != len(tags)+2 || mirrored["refs/heads/feature"] == "" {
		t.Fatalf("upstream refs %v", up)
	}
	for name, h := range up {
		if mirrored[name] != h {
			t.Errorf("mirror %s = %q, upstream %q", name, mirrored[name], h)
		}
	}
	ci := "file://" + filepath.Join(f.dir, "recipe-test.git")
	if got := lsRemote(t, ci, nil)["refs/heads/enroll/"+name]; got != res.Commit {
		t.Errorf("enroll/%s on the CI repository = %q, want %s", name, got, res.Commit)
	}
	if len(f.pulls) != 1 || f.pulls[0]["head"].(map[string]any)["ref"] != "enroll/"+name || !strings.Contains(f.pulls[0]["body"].(string), enroll.Marker(name)) {
		t.Fatalf("pull requests: %v", f.pulls)
	}

	again, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll again: %v", err)
	}
	if again.MirrorCreated || again.Commit != "" || again.PullRequest.Created || again.PullRequest.Number != 1 || len(f.pulls) != 1 {
		t.Errorf("second enrollment duplicated something: %+v (%d pull requests)", again, len(f.pulls))
	}
	// A listing that missed the open pull request: creating gets GitHub's
	// 422 "already exists", and the existing one is updated.
	f.mu.Lock()
	f.stalePulls = true
	f.mu.Unlock()
	raced, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll after a stale listing: %v", err)
	}
	if raced.PullRequest.Created || raced.PullRequest.Number != 1 || len(f.pulls) != 1 || f.stalePulls {
		t.Errorf("enrollment racing another: %+v (%d pull requests)", raced.PullRequest, len(f.pulls))
	}
	creates := 0
	for _, c := range f.calls {
		if c == "POST /api/v3/orgs/"+ghOrg+"/repos" {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("%d repository creations; want 1", creates)
	}

	// An upstream commit reaches the mirror; a branch deleted upstream
	// leaves it.
	writeFiles(t, upDir, map[string]string{"tests/test_smoke.py": "def test_smoke():\n    pass\n"})
	if err := r.Storer.RemoveReference("refs/heads/feature"); err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	wt.Add("tests/test_smoke.py")
	newHead, err := wt.Commit("Add a smoke test", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	third, err := enroll.Run(ctx, opts())
	if err != nil {
		t.Fatalf("enroll after an upstream commit: %v", err)
	}
	mirrored = lsRemote(t, mirrorURL, nil)
	if got := mirrored["refs/heads/main"]; got != newHead.String() {
		t.Errorf("mirror main = %s, want upstream's new head %s", got, newHead)
	}
	if _, ok := mirrored["refs/heads/feature"]; ok {
		t.Error("the branch deleted upstream is still in the mirror")
	}
	if third.Commit == "" || len(f.pulls) != 1 || !strings.Contains(f.pulls[0]["body"].(string), "tests/test_smoke.py") {
		t.Errorf("third enrollment: %+v; body:\n%s", third, f.pulls[0]["body"])
	}
	e, err := enrollment.Parse("recipe.toml", third.Files["recipe.toml"])
	if err != nil || len(e.Parity) != 1 || e.Parity[0].Status != enrollment.Todo {
		t.Errorf("recipe.toml after the upstream test appeared: %v %+v", err, e)
	}
}

// A mirror owner that is another user than the token's cannot be created
// for: the error says so and nothing is created.
func TestEnrollGitHubOtherUsersMirror(t *testing.T) {
	upDir, name, _ := testenv.RecipeRepo(t, "bonfire")
	f := newFakeGitHub(t, ciRepo(t))
	_, err := enroll.Run(context.Background(), enroll.Options{Name: name, Upstream: upDir, Forge: f.enroller(t),
		Repo: forge.Repo{Owner: ghOrg, Name: "recipe-test"}, MirrorOwner: "someone-else", WorkDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "someone-else is a user other than the token's (ci-bot)") {
		t.Fatalf("error %v", err)
	}
	if len(f.repos) != 1 || len(f.pulls) != 0 {
		t.Errorf("something was created: repos %v, pulls %v", f.repos, f.pulls)
	}
}

func TestEnrollGitHubWithoutCreatePermission(t *testing.T) {
	upDir, name, _ := testenv.RecipeRepo(t, "bonfire")
	f := newFakeGitHub(t, ciRepo(t))
	f.canCreate = false
	_, err := enroll.Run(context.Background(), enroll.Options{Name: name, Upstream: upDir, Forge: f.enroller(t),
		Repo: forge.Repo{Owner: ghOrg, Name: "recipe-test"}, WorkDir: t.TempDir()})
	if err == nil {
		t.Fatal("enrollment succeeded without permission to create the mirror")
	}
	for _, want := range []string{"403", "$GH_TOKEN", "administration: write", ghOrg + "/" + name} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), f.token) {
		t.Error("the error shows the token")
	}
	var ie *enroll.InputError
	if errors.As(err, &ie) {
		t.Error("a failed creation is reported as found before anything was tried")
	}
	if _, ok := f.repos[ghOrg+"/"+name]; ok || len(f.pulls) != 0 {
		t.Errorf("something was created: repos %v, pulls %v", f.repos, f.pulls)
	}
	if refs := lsRemote(t, "file://"+filepath.Join(f.dir, "recipe-test.git"), nil); refs["refs/heads/enroll/"+name] != "" {
		t.Error("the enrollment branch was pushed")
	}
}
