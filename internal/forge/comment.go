package forge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// comments is how a forge finds, edits and creates pull request comments;
// upsertComment, the sticky-comment algorithm, is shared by both forges.
type comments interface {
	// whoAmI asks the forge the login of the token's user.
	whoAmI(ctx context.Context) (string, error)
	// findComment returns the first comment on repo#pr by author that
	// contains marker.
	findComment(ctx context.Context, repo Repo, pr int, marker, author string) (id int64, found bool, err error)
	editComment(ctx context.Context, repo Repo, pr int, id int64, body string) (Comment, error)
	createComment(ctx context.Context, repo Repo, pr int, body string) (Comment, error)
}

// identity remembers the token's user for a forge client's lifetime.
type identity struct {
	mu    sync.Mutex
	login string
}

// get returns the login, asking ask once.
func (i *identity) get(ctx context.Context, ask func(context.Context) (string, error)) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.login != "" {
		return i.login, nil
	}
	login, err := ask(ctx)
	if err != nil {
		return "", err
	}
	if login == "" {
		return "", errors.New("the forge gave no login for the token's user")
	}
	i.login = login
	return login, nil
}

// upsertComment edits the comment on repo#pr that the token's own user
// wrote and that contains marker, or creates one. Only the token's user's
// comments count: anyone may write the marker into a comment of their own,
// and would otherwise have it edited into our report (and the report
// lost among theirs).
//
// A create the forge may have done although it failed (a 5xx, or no
// answer) is not sent again blindly, which would duplicate the comment:
// the comments are listed again first, and a comment that was made after
// all is edited instead.
func upsertComment(ctx context.Context, f comments, o Options, author string, repo Repo, pr int, marker, body string) (Comment, error) {
	p := o.Retry.withDefaults()
	backoff := p.Backoff
	for attempt := 0; ; attempt++ {
		id, found, err := f.findComment(ctx, repo, pr, marker, author)
		if err != nil {
			return Comment{}, err
		}
		if found {
			c, err := f.editComment(ctx, repo, pr, id, body)
			c.Created = attempt > 0 // it is the comment our unsure create made
			return c, err
		}
		c, err := f.createComment(ctx, repo, pr, body)
		if err == nil || !outcomeUnknown(ctx, err) || attempt >= p.Max {
			return c, err
		}
		if o.Log != nil {
			o.Log.Warn("creating the comment may have worked although it failed: looking for it before trying again",
				"pr", fmt.Sprintf("%s#%d", repo, pr), "error", err, "attempt", attempt+1)
		}
		if err := p.Sleep(ctx, backoff); err != nil {
			return Comment{}, err
		}
		backoff *= 2
	}
}

// outcomeUnknown says whether a failed request may have been done by the
// forge all the same: it answered 5xx, or nothing.
func outcomeUnknown(ctx context.Context, err error) bool {
	var re *RedirectError
	if ctx.Err() != nil || errors.As(err, &re) {
		return false // a refused redirect: nothing was done
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == 0 || ae.Status >= 500
	}
	return false
}

// sameLogin compares logins as both forges do, ignoring case.
func sameLogin(a, b string) bool { return a != "" && strings.EqualFold(a, b) }
