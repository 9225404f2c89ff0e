package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v62/github"
)

// DefaultGitHubAPI is github.com's API.
const DefaultGitHubAPI = "https://api.github.com/"

type gitHub struct {
	o  Options
	c  *github.Client
	me identity
}

var (
	_ Forge    = (*gitHub)(nil)
	_ comments = (*gitHub)(nil)
)

func newGitHub(o Options, hc *http.Client) (Forge, error) {
	c := github.NewClient(hc).WithAuthToken(o.Token)
	if o.BaseURL != "" && strings.TrimRight(o.BaseURL, "/") != strings.TrimRight(DefaultGitHubAPI, "/") {
		u, err := url.Parse(strings.TrimRight(o.BaseURL, "/") + "/")
		if err != nil { // checked in New
			return nil, fmt.Errorf("github: --forge-url %q: %w", o.BaseURL, err)
		}
		c.BaseURL = u
	}
	return &gitHub{o: o, c: c}, nil
}

func (g *gitHub) Name() string { return "github" }

// commentsPerPage is the most GitHub returns per page.
const commentsPerPage = 100

func (g *gitHub) UpsertComment(ctx context.Context, repo Repo, pr int, marker, body string) (Comment, error) {
	author, err := g.me.get(ctx, g.whoAmI)
	if err != nil {
		return Comment{}, err
	}
	return upsertComment(ctx, g, g.o, author, repo, pr, marker, body)
}

// workflowBot is the author of the comments the Actions workflow token
// (GITHUB_TOKEN) writes.
const workflowBot = "github-actions[bot]"

// whoAmI asks GET /user. A GitHub App's installation token, the workflow
// token among them, may not (403 "Resource not accessible by
// integration"); its comments are the app's bot's: CommentAuthor, else
// the workflow token's bot.
func (g *gitHub) whoAmI(ctx context.Context) (string, error) {
	if g.o.CommentAuthor != "" {
		return g.o.CommentAuthor, nil
	}
	u, _, err := g.c.Users.Get(ctx, "")
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden &&
		strings.Contains(er.Message, "not accessible by integration") {
		return workflowBot, nil
	}
	if err != nil {
		return "", g.err("read the token's user (the author of its comments)", err, needUser, Repo{})
	}
	return u.GetLogin(), nil
}

func (g *gitHub) findComment(ctx context.Context, repo Repo, pr int, marker, author string) (int64, bool, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: commentsPerPage}}
	for {
		comments, resp, err := g.c.Issues.ListComments(ctx, repo.Owner, repo.Name, pr, opts)
		if err != nil {
			return 0, false, g.err(fmt.Sprintf("list comments of %s#%d", repo, pr), err, needRead, repo)
		}
		for _, c := range comments {
			if sameLogin(c.GetUser().GetLogin(), author) && strings.Contains(c.GetBody(), marker) {
				return c.GetID(), true, nil
			}
		}
		if resp.NextPage == 0 {
			return 0, false, nil
		}
		opts.Page = resp.NextPage
	}
}

func (g *gitHub) editComment(ctx context.Context, repo Repo, pr int, id int64, body string) (Comment, error) {
	edited, _, err := g.c.Issues.EditComment(ctx, repo.Owner, repo.Name, id, &github.IssueComment{Body: &body})
	if err != nil {
		return Comment{}, g.err(fmt.Sprintf("edit comment %d on %s#%d", id, repo, pr), err, needComment, repo)
	}
	return Comment{ID: edited.GetID(), URL: edited.GetHTMLURL()}, nil
}

func (g *gitHub) createComment(ctx context.Context, repo Repo, pr int, body string) (Comment, error) {
	created, _, err := g.c.Issues.CreateComment(ctx, repo.Owner, repo.Name, pr, &github.IssueComment{Body: &body})
	if err != nil {
		return Comment{}, g.err(fmt.Sprintf("comment on %s#%d", repo, pr), err, needComment, repo)
	}
	return Comment{ID: created.GetID(), URL: created.GetHTMLURL(), Created: true}, nil
}

func (g *gitHub) SetStatus(ctx context.Context, repo Repo, sha string, st Status) error {
	s := &github.RepoStatus{State: github.String(string(st.State)), Context: github.String(st.Context),
		Description: github.String(Describe(st.Description))}
	if st.TargetURL != "" {
		s.TargetURL = github.String(st.TargetURL)
	}
	if _, _, err := g.c.Repositories.CreateStatus(retrySafe(ctx), repo.Owner, repo.Name, sha, s); err != nil {
		return g.err(fmt.Sprintf("set status %s on %s@%.12s", st.Context, repo, sha), err, needStatus, repo)
	}
	return nil
}

func (g *gitHub) PullRequestHead(ctx context.Context, repo Repo, pr int) (string, error) {
	p, _, err := g.c.PullRequests.Get(ctx, repo.Owner, repo.Name, pr)
	if err != nil {
		return "", g.err(fmt.Sprintf("read pull request %s#%d", repo, pr), err, needRead, repo)
	}
	if p.GetHead().GetSHA() == "" {
		return "", fmt.Errorf("github: pull request %s#%d has no head commit", repo, pr)
	}
	return p.GetHead().GetSHA(), nil
}

// err classifies a go-github error.
func (g *gitHub) err(op string, err error, n need, repo Repo) error {
	var er *github.ErrorResponse
	var rl *github.RateLimitError
	var ab *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return &APIError{Forge: "github", Op: op, Status: rl.Response.StatusCode, Message: rl.Message, Err: err,
			Hint: fmt.Sprintf("the token's rate limit is used up until %s", rl.Rate.Reset.Time.UTC().Format("15:04:05 MST"))}
	case errors.As(err, &ab):
		return &APIError{Forge: "github", Op: op, Status: ab.Response.StatusCode, Message: ab.Message, Err: err,
			Hint: "secondary rate limit: retried, still limited"}
	case errors.As(err, &er) && er.Response != nil:
		return g.o.apiError(op, er.Response.StatusCode, er.Message, err, n, repo)
	}
	return &APIError{Forge: "github", Op: op, Err: err}
}
