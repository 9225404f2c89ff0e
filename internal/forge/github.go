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
	o Options
	c *github.Client
}

func newGitHub(o Options, hc *http.Client) (Forge, error) {
	c := github.NewClient(hc).WithAuthToken(o.Token)
	if o.BaseURL != "" && strings.TrimRight(o.BaseURL, "/") != strings.TrimRight(DefaultGitHubAPI, "/") {
		u, err := url.Parse(strings.TrimRight(o.BaseURL, "/") + "/")
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("github: --forge-url %q is not an http(s) URL of the API (e.g. https://ghe.example.org/api/v3/)", o.BaseURL)
		}
		c.BaseURL = u
	}
	return &gitHub{o: o, c: c}, nil
}

func (g *gitHub) Name() string { return "github" }

// commentsPerPage is the most GitHub returns per page.
const commentsPerPage = 100

func (g *gitHub) UpsertComment(ctx context.Context, repo Repo, pr int, marker, body string) (Comment, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: commentsPerPage}}
	for {
		comments, resp, err := g.c.Issues.ListComments(ctx, repo.Owner, repo.Name, pr, opts)
		if err != nil {
			return Comment{}, g.err(fmt.Sprintf("list comments of %s#%d", repo, pr), err, needRead, repo)
		}
		for _, c := range comments {
			if strings.Contains(c.GetBody(), marker) {
				edited, _, err := g.c.Issues.EditComment(ctx, repo.Owner, repo.Name, c.GetID(), &github.IssueComment{Body: &body})
				if err != nil {
					return Comment{}, g.err(fmt.Sprintf("edit comment %d on %s#%d", c.GetID(), repo, pr), err, needComment, repo)
				}
				return Comment{ID: edited.GetID(), URL: edited.GetHTMLURL()}, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
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
	if _, _, err := g.c.Repositories.CreateStatus(ctx, repo.Owner, repo.Name, sha, s); err != nil {
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
