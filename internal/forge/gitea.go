package forge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"code.gitea.io/sdk/gitea"
)

type giteaForge struct {
	o  Options
	c  *gitea.Client
	me identity
}

var (
	_ Forge        = (*giteaForge)(nil)
	_ MirrorSyncer = (*giteaForge)(nil)
	_ comments     = (*giteaForge)(nil)
)

func newGitea(ctx context.Context, o Options, hc *http.Client) (Forge, error) {
	c, err := gitea.NewClient(strings.TrimRight(o.BaseURL, "/"), gitea.SetToken(o.Token), gitea.SetHTTPClient(hc), gitea.SetContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("gitea at %s: %w (check the token in %s, and that the URL is the Gitea server's)", o.BaseURL, err, orDefault(o.TokenSource, "the token variable"))
	}
	return &giteaForge{o: o, c: c}, nil
}

func (g *giteaForge) Name() string { return "gitea" }

func (g *giteaForge) UpsertComment(ctx context.Context, repo Repo, pr int, marker, body string) (Comment, error) {
	author, err := g.me.get(ctx, g.whoAmI)
	if err != nil {
		return Comment{}, err
	}
	return upsertComment(ctx, g, g.o, author, repo, pr, marker, body)
}

func (g *giteaForge) whoAmI(ctx context.Context) (string, error) {
	if g.o.CommentAuthor != "" {
		return g.o.CommentAuthor, nil
	}
	g.c.SetContext(ctx)
	u, resp, err := g.c.GetMyUserInfo()
	if err != nil {
		return "", g.err("read the token's user (the author of its comments)", resp, err, needUser, Repo{})
	}
	return u.UserName, nil
}

func (g *giteaForge) findComment(ctx context.Context, repo Repo, pr int, marker, author string) (int64, bool, error) {
	g.c.SetContext(ctx)
	// Gitea answers the issue's comments whole, without a Link header;
	// follow pages all the same should a server page them, and stop when a
	// page brings nothing new (a server that ignores the page parameter).
	opt := gitea.ListIssueCommentOptions{ListOptions: gitea.ListOptions{Page: 1}}
	seen := map[int64]bool{}
	for {
		comments, resp, err := g.c.ListIssueComments(repo.Owner, repo.Name, int64(pr), opt)
		if err != nil {
			return 0, false, g.err(fmt.Sprintf("list comments of %s#%d", repo, pr), resp, err, needRead, repo)
		}
		fresh := false
		for _, c := range comments {
			fresh = fresh || !seen[c.ID]
			seen[c.ID] = true
			if c.Poster != nil && sameLogin(c.Poster.UserName, author) && strings.Contains(c.Body, marker) {
				return c.ID, true, nil
			}
		}
		if resp == nil || resp.NextPage <= opt.Page || !fresh {
			return 0, false, nil
		}
		opt.Page = resp.NextPage
	}
}

func (g *giteaForge) editComment(ctx context.Context, repo Repo, pr int, id int64, body string) (Comment, error) {
	g.c.SetContext(ctx)
	edited, resp, err := g.c.EditIssueComment(repo.Owner, repo.Name, id, gitea.EditIssueCommentOption{Body: body})
	if err != nil {
		return Comment{}, g.err(fmt.Sprintf("edit comment %d on %s#%d", id, repo, pr), resp, err, needComment, repo)
	}
	return Comment{ID: edited.ID, URL: edited.HTMLURL}, nil
}

func (g *giteaForge) createComment(ctx context.Context, repo Repo, pr int, body string) (Comment, error) {
	g.c.SetContext(ctx)
	created, resp, err := g.c.CreateIssueComment(repo.Owner, repo.Name, int64(pr), gitea.CreateIssueCommentOption{Body: body})
	if err != nil {
		return Comment{}, g.err(fmt.Sprintf("comment on %s#%d", repo, pr), resp, err, needComment, repo)
	}
	return Comment{ID: created.ID, URL: created.HTMLURL, Created: true}, nil
}

func (g *giteaForge) SetStatus(ctx context.Context, repo Repo, sha string, st Status) error {
	g.c.SetContext(retrySafe(ctx))
	_, resp, err := g.c.CreateStatus(repo.Owner, repo.Name, sha, gitea.CreateStatusOption{
		State: gitea.StatusState(st.State), Context: st.Context, Description: Describe(st.Description), TargetURL: st.TargetURL})
	if err != nil {
		return g.err(fmt.Sprintf("set status %s on %s@%.12s", st.Context, repo, sha), resp, err, needStatus, repo)
	}
	return nil
}

func (g *giteaForge) PullRequestHead(ctx context.Context, repo Repo, pr int) (string, error) {
	g.c.SetContext(ctx)
	p, resp, err := g.c.GetPullRequest(repo.Owner, repo.Name, int64(pr))
	if err != nil {
		return "", g.err(fmt.Sprintf("read pull request %s#%d", repo, pr), resp, err, needRead, repo)
	}
	if p.Head == nil || p.Head.Sha == "" {
		return "", fmt.Errorf("gitea: pull request %s#%d has no head commit", repo, pr)
	}
	return p.Head.Sha, nil
}

// err classifies a Gitea SDK error by the response's status; the SDK's own
// message is the server's body.
func (g *giteaForge) err(op string, resp *gitea.Response, err error, n need, repo Repo) error {
	if resp == nil || resp.Response == nil {
		return &APIError{Forge: "gitea", Op: op, Err: err}
	}
	return g.o.apiError(op, resp.StatusCode, giteaMessage(err), err, n, repo)
}

// giteaMessage pulls "message" out of the SDK's error text, which carries
// the response body.
func giteaMessage(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '{'); i >= 0 {
		var body struct{ Message string }
		if json.NewDecoder(io.LimitReader(strings.NewReader(s[i:]), 1<<16)).Decode(&body) == nil && body.Message != "" {
			return body.Message
		}
	}
	return s
}
