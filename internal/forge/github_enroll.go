package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/google/go-github/v62/github"
)

// GitAuth: GitHub takes a token as the password of x-access-token.
func (g *gitHub) GitAuth(gitURL string) (transport.AuthMethod, error) {
	return gitAuth(g.o, "x-access-token", gitURL)
}

func (g *gitHub) Repository(ctx context.Context, repo Repo) (RepoInfo, bool, error) {
	r, _, err := g.c.Repositories.Get(ctx, repo.Owner, repo.Name)
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
		return RepoInfo{}, false, nil
	}
	if err != nil {
		return RepoInfo{}, false, g.err("read repository "+repo.String(), err, needRead, repo)
	}
	return gitHubRepoInfo(repo, r), true, nil
}

func gitHubRepoInfo(repo Repo, r *github.Repository) RepoInfo {
	p := r.GetPermissions()
	// GitHub has no pull mirrors: a mirror recipe-test made names its
	// upstream as the homepage.
	return RepoInfo{Repo: repo, DefaultBranch: r.GetDefaultBranch(), CloneURL: r.GetCloneURL(), HTMLURL: r.GetHTMLURL(), OriginalURL: r.GetHomepage(),
		CanPush: p["push"] || p["admin"] || p["maintain"], Empty: r.GetSize() == 0 && r.GetDefaultBranch() == ""}
}

// CreateMirror creates an empty public repository whose homepage names
// upstream; the interval is unused (GitHub has no pull mirrors: the
// enrollments' pushes are what keeps a GitHub mirror current).
func (g *gitHub) CreateMirror(ctx context.Context, repo Repo, upstream string, _ time.Duration, description string) (RepoInfo, error) {
	owner, _, err := g.c.Users.Get(ctx, repo.Owner)
	if err != nil {
		return RepoInfo{}, g.err("read owner "+repo.Owner, err, needCreate, repo)
	}
	org := ""
	if owner.GetType() == "Organization" {
		org = repo.Owner
	} else {
		// POST /user/repos creates for the token's user: only right when
		// that is the owner asked for.
		me, _, err := g.c.Users.Get(ctx, "")
		if err != nil {
			return RepoInfo{}, g.err("read the token's user", err, needCreate, repo)
		}
		if !strings.EqualFold(me.GetLogin(), repo.Owner) {
			return RepoInfo{}, fmt.Errorf("github: create repository %s: %s is a user other than the token's (%s), and a token can only create repositories for its own user or an organisation", repo, repo.Owner, me.GetLogin())
		}
	}
	r, _, err := g.c.Repositories.Create(ctx, org, &github.Repository{
		Name: github.String(repo.Name), Description: github.String(description), Homepage: github.String(upstream),
		Private: github.Bool(false), HasIssues: github.Bool(false), HasWiki: github.Bool(false), HasProjects: github.Bool(false),
	})
	if err != nil {
		return RepoInfo{}, g.err(fmt.Sprintf("create repository %s for the mirror of %s", repo, upstream), err, needCreate, repo)
	}
	return gitHubRepoInfo(repo, r), nil
}

func (g *gitHub) UpsertPullRequest(ctx context.Context, repo Repo, spec PullRequestSpec) (PullRequest, error) {
	for attempt := 0; ; attempt++ {
		open, closed, err := g.findPullRequest(ctx, repo, spec)
		switch {
		case err != nil:
			return PullRequest{}, err
		case open != nil:
			return g.editPullRequest(ctx, repo, open, spec, false)
		case closed != nil:
			return g.editPullRequest(ctx, repo, closed, spec, true)
		}
		// Opening it again after a 5xx is safe: a second is refused (422).
		p, _, err := g.c.PullRequests.Create(retrySafe(ctx), repo.Owner, repo.Name, &github.NewPullRequest{
			Title: github.String(spec.Title), Head: github.String(spec.Head), Base: github.String(spec.Base), Body: github.String(spec.body(""))})
		var er *github.ErrorResponse
		if attempt == 0 && errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnprocessableEntity &&
			strings.Contains(fmt.Sprint(er.Errors), "already exists") {
			continue // another enrollment opened it meanwhile: update that one
		}
		if err != nil {
			return PullRequest{}, g.err(fmt.Sprintf("open pull request on %s from %s", repo, spec.Head), err, needPullRequest, repo)
		}
		return PullRequest{Number: p.GetNumber(), URL: p.GetHTMLURL(), Created: true}, nil
	}
}

// findPullRequest finds the open pull request from spec.Head to
// spec.Base, else the first closed unmerged one.
func (g *gitHub) findPullRequest(ctx context.Context, repo Repo, spec PullRequestSpec) (open, closed *github.PullRequest, err error) {
	opts := &github.PullRequestListOptions{State: "all", Head: repo.Owner + ":" + spec.Head, Base: spec.Base,
		ListOptions: github.ListOptions{PerPage: 100}}
	for {
		prs, resp, err := g.c.PullRequests.List(ctx, repo.Owner, repo.Name, opts)
		if err != nil {
			return nil, nil, g.err("list pull requests of "+repo.String(), err, needRead, repo)
		}
		for _, p := range prs {
			if p.GetHead().GetRef() != spec.Head || p.GetBase().GetRef() != spec.Base {
				continue // the filter is the server's; check all the same
			}
			if p.GetState() == "open" {
				return p, nil, nil
			}
			if p.MergedAt == nil && closed == nil {
				closed = p
			}
		}
		if resp.NextPage == 0 {
			return nil, closed, nil
		}
		opts.Page = resp.NextPage
	}
}

func (g *gitHub) editPullRequest(ctx context.Context, repo Repo, p *github.PullRequest, spec PullRequestSpec, reopen bool) (PullRequest, error) {
	edit := &github.PullRequest{Title: github.String(spec.Title), Body: github.String(spec.body(p.GetBody()))}
	if reopen {
		edit.State = github.String("open")
	}
	edited, _, err := g.c.PullRequests.Edit(ctx, repo.Owner, repo.Name, p.GetNumber(), edit)
	if err != nil {
		return PullRequest{}, g.err(fmt.Sprintf("update pull request %s#%d", repo, p.GetNumber()), err, needPullRequest, repo)
	}
	return PullRequest{Number: edited.GetNumber(), URL: edited.GetHTMLURL(), Reopened: reopen}, nil
}
