package forgetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

type accountKey struct{}

func withAccount(ctx context.Context, a *Account) context.Context {
	return context.WithValue(ctx, accountKey{}, a)
}

func account(r *http.Request) *Account { return r.Context().Value(accountKey{}).(*Account) }

// login is who the request's token writes as.
func login(r *http.Request) string {
	if l := account(r).Login; l != "" {
		return l
	}
	return WorkflowBot
}

// routes are the endpoints recipe-test uses; every other request is
// answered 404, as GitHub does. The handlers run with g.mu held.
func (g *GitHub) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /user", g.getAuthenticatedUser)
	m.HandleFunc("GET /users/{login}", g.getUser)
	m.HandleFunc("GET /repos/{owner}/{repo}", g.withRepo(g.getRepo))
	m.HandleFunc("POST /orgs/{org}/repos", g.createRepo)
	m.HandleFunc("POST /user/repos", g.createRepo)
	m.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", g.withRepo(g.listComments))
	m.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", g.withRepo(g.createComment))
	m.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", g.withRepo(g.updateComment))
	m.HandleFunc("POST /repos/{owner}/{repo}/statuses/{sha}", g.withRepo(g.createStatus))
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls", g.withRepo(g.listPulls))
	m.HandleFunc("POST /repos/{owner}/{repo}/pulls", g.withRepo(g.createPull))
	m.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}", g.withRepo(g.getPull))
	m.HandleFunc("PATCH /repos/{owner}/{repo}/pulls/{number}", g.withRepo(g.updatePull))
	m.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { notFound(w) })
	g.mux = m
}

// withRepo finds the request's repository: 404 when there is none.
func (g *GitHub) withRepo(h func(http.ResponseWriter, *http.Request, *repository)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		repo, ok := g.repos[r.PathValue("owner")+"/"+r.PathValue("repo")]
		if !ok {
			notFound(w)
			return
		}
		h(w, r, repo)
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

func (g *GitHub) getAuthenticatedUser(w http.ResponseWriter, r *http.Request) {
	if account(r).Login == "" {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration",
			"documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user", "status": "403"})
		return
	}
	writeJSON(w, http.StatusOK, g.userJSON(account(r).Login))
}

func (g *GitHub) getUser(w http.ResponseWriter, r *http.Request) {
	if g.users[r.PathValue("login")] == "" {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, g.userJSON(r.PathValue("login")))
}

func (g *GitHub) getRepo(w http.ResponseWriter, _ *http.Request, repo *repository) {
	writeJSON(w, http.StatusOK, g.repoJSON(repo))
}

// createRepo is "Create an organization repository" (POST
// /orgs/{org}/repos) and "Create a repository for the authenticated user"
// (POST /user/repos).
func (g *GitHub) createRepo(w http.ResponseWriter, r *http.Request) {
	a := account(r)
	owner := r.PathValue("org")
	switch {
	case owner != "" && g.users[owner] != "Organization":
		notFound(w)
		return
	case a.Login == "":
		writeError(w, http.StatusForbidden, "Resource not accessible by integration")
		return
	case a.NoCreate:
		writeError(w, http.StatusForbidden, "Resource not accessible by personal access token")
		return
	case owner == "":
		owner = a.Login
	}
	var in struct {
		Name, Description, Homepage string
		Private                     bool
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Name == "" {
		validationFailed(w, map[string]string{"resource": "Repository", "code": "missing_field", "field": "name"})
		return
	}
	if _, ok := g.repos[owner+"/"+in.Name]; ok {
		writeError(w, http.StatusUnprocessableEntity, "Repository creation failed.",
			map[string]string{"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"})
		return
	}
	repo, err := g.newRepo(owner, in.Name, in.Description, in.Homepage)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	repo.Private, repo.admin = in.Private, true
	writeJSON(w, http.StatusCreated, g.repoJSON(repo))
}

// number is the request's {number} when it is a pull request of repo.
func number(w http.ResponseWriter, r *http.Request, repo *repository) (*Pull, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err == nil {
		for _, p := range repo.pulls {
			if p.Number == n {
				return p, true
			}
		}
	}
	notFound(w)
	return nil, false
}

func (g *GitHub) listComments(w http.ResponseWriter, r *http.Request, repo *repository) {
	p, ok := number(w, r, repo)
	if !ok {
		return
	}
	all := repo.comments[p.Number]
	lo, hi := g.paginate(w, r, len(all))
	out := []map[string]any{}
	for _, c := range all[lo:hi] {
		out = append(out, g.commentJSON(repo, p.Number, c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *GitHub) createComment(w http.ResponseWriter, r *http.Request, repo *repository) {
	p, ok := number(w, r, repo)
	if !ok {
		return
	}
	var in struct{ Body string }
	if !decode(w, r, &in) {
		return
	}
	g.nextID++
	c := Comment{ID: g.nextID, Author: login(r), Body: in.Body}
	repo.comments[p.Number] = append(repo.comments[p.Number], c)
	writeJSON(w, http.StatusCreated, g.commentJSON(repo, p.Number, c))
}

func (g *GitHub) updateComment(w http.ResponseWriter, r *http.Request, repo *repository) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in struct{ Body string }
	if !decode(w, r, &in) {
		return
	}
	for n, cs := range repo.comments {
		for i := range cs {
			if cs[i].ID == id {
				cs[i].Body = in.Body
				writeJSON(w, http.StatusOK, g.commentJSON(repo, n, cs[i]))
				return
			}
		}
	}
	notFound(w)
}

// createStatus is "Create a commit status": state one of error, failure,
// pending, success; a description of at most 140 characters.
func (g *GitHub) createStatus(w http.ResponseWriter, r *http.Request, repo *repository) {
	var in struct {
		State       string `json:"state"`
		Context     string `json:"context"`
		Description string `json:"description"`
		TargetURL   string `json:"target_url"`
	}
	if !decode(w, r, &in) {
		return
	}
	if !slices.Contains([]string{"error", "failure", "pending", "success"}, in.State) {
		validationFailed(w, map[string]string{"resource": "Status", "code": "custom", "field": "state", "message": "state is not included in the list"})
		return
	}
	if len([]rune(in.Description)) > 140 {
		validationFailed(w, map[string]string{"resource": "Status", "code": "custom", "field": "description", "message": "description is too long (maximum is 140 characters)"})
		return
	}
	if in.Context == "" {
		in.Context = "default"
	}
	sha := r.PathValue("sha")
	repo.statuses[sha] = append(repo.statuses[sha], Status{State: in.State, Context: in.Context, Description: in.Description, TargetURL: in.TargetURL})
	g.nextID++
	writeJSON(w, http.StatusCreated, map[string]any{"id": g.nextID, "node_id": fmt.Sprintf("SC_%d", g.nextID),
		"url": fmt.Sprintf("%s/repos/%s/statuses/%s", g.URL, repo.fullName(), sha), "state": in.State, "description": in.Description,
		"target_url": in.TargetURL, "context": in.Context, "created_at": created, "updated_at": created, "creator": g.userJSON(login(r))})
}

// listPulls is "List pull requests": state open (the default), closed or
// all; head "owner:branch"; base; newest first.
func (g *GitHub) listPulls(w http.ResponseWriter, r *http.Request, repo *repository) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var match []*Pull
	for i := len(repo.pulls) - 1; i >= 0; i-- {
		p := repo.pulls[i]
		if (state != "all" && p.State != state) || (q.Get("head") != "" && q.Get("head") != repo.Owner+":"+p.Head) ||
			(q.Get("base") != "" && q.Get("base") != p.Base) {
			continue
		}
		match = append(match, p)
	}
	lo, hi := g.paginate(w, r, len(match))
	out := []map[string]any{}
	for _, p := range match[lo:hi] {
		out = append(out, g.pullJSON(repo, p))
	}
	writeJSON(w, http.StatusOK, out)
}

// createPull is "Create a pull request": head and base must be branches
// of the repository, and one open pull request per head and base.
func (g *GitHub) createPull(w http.ResponseWriter, r *http.Request, repo *repository) {
	var in struct{ Title, Head, Base, Body string }
	if !decode(w, r, &in) {
		return
	}
	head, _ := strings.CutPrefix(in.Head, repo.Owner+":")
	for field, branch := range map[string]string{"head": head, "base": in.Base} {
		if repo.branch(branch) == "" {
			validationFailed(w, map[string]string{"resource": "PullRequest", "field": field, "code": "invalid"})
			return
		}
	}
	for _, p := range repo.pulls {
		if p.Head == head && p.Base == in.Base && p.State == "open" {
			validationFailed(w, map[string]string{"resource": "PullRequest", "code": "custom",
				"message": "A pull request already exists for " + repo.Owner + ":" + head + "."})
			return
		}
	}
	p := &Pull{Number: repo.nextNumber(), State: "open", Title: in.Title, Body: in.Body, Head: head, Base: in.Base, Author: login(r)}
	repo.pulls = append(repo.pulls, p)
	writeJSON(w, http.StatusCreated, g.pullJSON(repo, p))
}

func (g *GitHub) getPull(w http.ResponseWriter, r *http.Request, repo *repository) {
	if p, ok := number(w, r, repo); ok {
		writeJSON(w, http.StatusOK, g.pullJSON(repo, p))
	}
}

// updatePull is "Update a pull request": title, body, state (a merged
// pull request cannot be reopened).
func (g *GitHub) updatePull(w http.ResponseWriter, r *http.Request, repo *repository) {
	p, ok := number(w, r, repo)
	if !ok {
		return
	}
	var in struct {
		Title, Body, State *string
	}
	if !decode(w, r, &in) {
		return
	}
	if in.State != nil && (*in.State != "open" && *in.State != "closed" || *in.State == "open" && p.Merged) {
		validationFailed(w, map[string]string{"resource": "PullRequest", "code": "custom", "field": "state", "message": "state cannot be changed."})
		return
	}
	if in.Title != nil {
		p.Title = *in.Title
	}
	if in.Body != nil {
		p.Body = *in.Body
	}
	if in.State != nil {
		p.State = *in.State
	}
	writeJSON(w, http.StatusOK, g.pullJSON(repo, p))
}

func (r *repository) fullName() string { return r.Owner + "/" + r.Name }

// branch is the commit a branch of the repository's git names; "" when
// there is no such branch.
func (r *repository) branch(name string) string {
	if name == "" {
		return ""
	}
	repo, err := git.PlainOpen(bare(r.GitURL))
	if err != nil {
		return ""
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(name), true)
	if err != nil {
		return ""
	}
	return ref.Hash().String()
}
