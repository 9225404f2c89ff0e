package forge

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"code.gitea.io/sdk/gitea"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// GitAuth: Gitea takes a token as the password of any user name.
func (g *giteaForge) GitAuth(gitURL string) (transport.AuthMethod, error) {
	return gitAuth(g.o, "recipe-test", gitURL)
}

func (g *giteaForge) Repository(ctx context.Context, repo Repo) (RepoInfo, bool, error) {
	g.c.SetContext(ctx)
	r, resp, err := g.c.GetRepo(repo.Owner, repo.Name)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return RepoInfo{}, false, nil
		}
		return RepoInfo{}, false, g.err("read repository "+repo.String(), resp, err, needRead, repo)
	}
	return giteaRepoInfo(repo, r), true, nil
}

func giteaRepoInfo(repo Repo, r *gitea.Repository) RepoInfo {
	info := RepoInfo{Repo: repo, DefaultBranch: r.DefaultBranch, CloneURL: r.CloneURL, HTMLURL: r.HTMLURL,
		Mirror: r.Mirror, OriginalURL: r.OriginalURL, Empty: r.Empty}
	if r.Permissions != nil {
		info.CanPush = r.Permissions.Push || r.Permissions.Admin
	}
	return info
}

func (g *giteaForge) CreateMirror(ctx context.Context, repo Repo, upstream string, interval time.Duration, description string) (RepoInfo, error) {
	g.c.SetContext(ctx)
	r, resp, err := g.c.MigrateRepo(gitea.MigrateRepoOption{
		RepoName: repo.Name, RepoOwner: repo.Owner, CloneAddr: upstream, Service: gitea.GitServicePlain,
		Mirror: true, MirrorInterval: interval.String(), Description: description,
	})
	if err != nil {
		return RepoInfo{}, g.err(fmt.Sprintf("create pull mirror %s of %s", repo, upstream), resp, err, needCreate, repo)
	}
	return giteaRepoInfo(repo, r), nil
}

func (g *giteaForge) SyncMirror(ctx context.Context, repo Repo) error {
	g.c.SetContext(ctx)
	resp, err := g.c.MirrorSync(repo.Owner, repo.Name)
	if err != nil {
		return g.err("sync mirror "+repo.String(), resp, err, needPush, repo)
	}
	return nil
}

func (g *giteaForge) UpsertPullRequest(ctx context.Context, repo Repo, spec PullRequestSpec) (PullRequest, error) {
	// Opening it again after a 5xx is safe: a second is refused (409).
	g.c.SetContext(retrySafe(ctx))
	for attempt := 0; ; attempt++ {
		open, closed, err := g.findPullRequest(repo, spec)
		switch {
		case err != nil:
			return PullRequest{}, err
		case open != nil:
			return g.editPullRequest(repo, open, spec, false)
		case closed != nil:
			return g.editPullRequest(repo, closed, spec, true)
		}
		p, resp, err := g.c.CreatePullRequest(repo.Owner, repo.Name, gitea.CreatePullRequestOption{
			Head: spec.Head, Base: spec.Base, Title: spec.Title, Body: spec.body("")})
		if attempt == 0 && err != nil && resp != nil && resp.StatusCode == http.StatusConflict {
			continue // another enrollment opened it meanwhile: update that one
		}
		if err != nil {
			return PullRequest{}, g.err(fmt.Sprintf("open pull request %s from %s", repo, spec.Head), resp, err, needPullRequest, repo)
		}
		return PullRequest{Number: int(p.Index), URL: p.HTMLURL, Created: true}, nil
	}
}

// findPullRequest finds the open pull request from spec.Head to
// spec.Base in the same repository, else the first closed unmerged one.
func (g *giteaForge) findPullRequest(repo Repo, spec PullRequestSpec) (open, closed *gitea.PullRequest, err error) {
	opt := gitea.ListPullRequestsOptions{State: gitea.StateAll, ListOptions: gitea.ListOptions{Page: 1, PageSize: 50}}
	seen := map[int64]bool{}
	for {
		prs, resp, err := g.c.ListRepoPullRequests(repo.Owner, repo.Name, opt)
		if err != nil {
			return nil, nil, g.err("list pull requests of "+repo.String(), resp, err, needRead, repo)
		}
		fresh := false
		for _, p := range prs {
			fresh = fresh || !seen[p.ID]
			seen[p.ID] = true
			if p.Head == nil || p.Base == nil || p.Head.Ref != spec.Head || p.Base.Ref != spec.Base ||
				(p.Head.RepoID != 0 && p.Base.RepoID != 0 && p.Head.RepoID != p.Base.RepoID) {
				continue
			}
			if p.State == gitea.StateOpen {
				return p, nil, nil
			}
			if !p.HasMerged && closed == nil {
				closed = p
			}
		}
		if resp == nil || resp.NextPage <= opt.Page || !fresh {
			return nil, closed, nil
		}
		opt.Page = resp.NextPage
	}
}

func (g *giteaForge) editPullRequest(repo Repo, p *gitea.PullRequest, spec PullRequestSpec, reopen bool) (PullRequest, error) {
	body := spec.body(p.Body)
	opt := gitea.EditPullRequestOption{Title: spec.Title, Body: &body}
	if reopen {
		opt.State = ptr(gitea.StateOpen)
	}
	edited, resp, err := g.c.EditPullRequest(repo.Owner, repo.Name, p.Index, opt)
	if err != nil {
		return PullRequest{}, g.err(fmt.Sprintf("update pull request %s#%d", repo, p.Index), resp, err, needPullRequest, repo)
	}
	return PullRequest{Number: int(edited.Index), URL: edited.HTMLURL, Reopened: reopen}, nil
}

func ptr[T any](v T) *T { return &v }
