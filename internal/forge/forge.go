// Package forge posts a run's report where maintainers look: one sticky
// comment per recipe on the pull request (found again by a hidden marker
// and edited in place) and a commit status per recipe, on GitHub (through
// go-github) and Gitea/Forgejo (through the Gitea SDK), behind small
// capability interfaces; for enrollment, repositories, mirrors and pull
// requests. Requests are retried on 5xx, 429 and rate limits, boundedly;
// 401, 403 and 404 become errors that say which token permission or which
// repository is wrong. Tokens are never part of an error or a log line.
package forge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Repo is OWNER/NAME on a forge.
type Repo struct{ Owner, Name string }

func (r Repo) String() string { return r.Owner + "/" + r.Name }

var repoRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// ParseRepo parses OWNER/NAME.
func ParseRepo(s string) (Repo, error) {
	if !repoRe.MatchString(s) {
		return Repo{}, fmt.Errorf("repository %q: want OWNER/NAME", s)
	}
	owner, name, _ := strings.Cut(s, "/")
	return Repo{owner, name}, nil
}

// State is a commit status state.
type State string

const (
	Pending State = "pending"
	Success State = "success"
	Failure State = "failure"
	Error   State = "error"
)

// Status is one commit status.
type Status struct {
	Context     string // e.g. recipe-test/<recipe>
	State       State
	Description string // cut to MaxDescription
	TargetURL   string
}

// MaxDescription is GitHub's limit for a status description; Gitea's is
// larger, so one rule fits both.
const MaxDescription = 140

// Comment is the sticky comment after an upsert.
type Comment struct {
	ID      int64
	URL     string
	Created bool // false: an existing comment was edited
}

// Forge is a forge client: GitHub or Gitea, with every capability both
// have. Callers take the capabilities they use (capabilities.go).
type Forge interface {
	// Name is "github" or "gitea".
	Name() string
	Commenter
	StatusSetter
	PullRequests
	Repositories
	Mirrors
}

// Options configure a forge client.
type Options struct {
	Kind    string // github | gitea
	BaseURL string // API base: github default https://api.github.com/; gitea: the server's URL (required)
	Token   string
	// TokenSource names where the token came from in errors ("$GITHUB_TOKEN").
	TokenSource string
	// AllowHTTP lets a plain http:// URL that is not loopback carry the
	// token (a forge on a trusted private network).
	AllowHTTP bool
	// CommentAuthor is the login the token's comments are authored by,
	// when the forge cannot say (a GitHub App's installation token may not
	// read /user); "" = github-actions[bot], the author of the workflow
	// token's comments.
	CommentAuthor string
	// HTTPClient is the base client; nil = http.DefaultTransport. Its
	// Timeout, if any, bounds each attempt instead of AttemptTimeout.
	HTTPClient *http.Client
	// AttemptTimeout bounds each attempt of a request; 0 = 30 s.
	AttemptTimeout time.Duration
	Retry          RetryPolicy
	Log            *slog.Logger
}

// DefaultAttemptTimeout bounds one attempt of a forge request.
const DefaultAttemptTimeout = 30 * time.Second

// New returns the forge client Options describe. ctx bounds the setup
// (the Gitea SDK asks the server its version).
func New(ctx context.Context, o Options) (Forge, error) {
	if o.Token == "" {
		return nil, fmt.Errorf("%s: no token: %s is empty or unset", o.Kind, orDefault(o.TokenSource, "the token variable"))
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Kind != "github" && o.Kind != "gitea" {
		return nil, fmt.Errorf("unknown forge %q: use github, gitea or none", o.Kind)
	}
	if o.Kind == "gitea" && o.BaseURL == "" {
		return nil, errors.New("gitea: --forge-url is required (the server's URL, e.g. https://git.coopcloud.tech)")
	}
	origin, err := checkURL(o.Kind, "--forge-url", orDefault(o.BaseURL, DefaultGitHubAPI), o.AllowHTTP)
	if err != nil {
		return nil, err
	}
	hc := httpClient(o, origin)
	switch o.Kind {
	case "github":
		return newGitHub(o, hc)
	default:
		return newGitea(ctx, o, hc)
	}
}

// Marker is the hidden line that identifies a recipe's sticky comment.
// The name (the recipe's TYPE, which it controls) has its angle brackets
// escaped: with none left, it can neither end the comment early nor hold
// another recipe's marker ("x <!-- recipe-test:comment recipe=y" would
// otherwise make y's run find and overwrite x's comment). Each byte that
// is not UTF-8 becomes U+FFFD, as the JSON sent to the forge has it, so
// that the marker found is the marker posted.
func Marker(recipe string) string {
	valid := strings.Map(func(r rune) rune { return r }, recipe)
	return "<!-- recipe-test:comment recipe=" + strings.NewReplacer("<", "&lt;", ">", "&gt;", "\n", " ").Replace(valid) + " -->"
}

// StatusContext is the status context of a recipe.
func StatusContext(recipe string) string { return "recipe-test/" + recipe }

// Describe cuts a description to MaxDescription characters.
func Describe(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= MaxDescription {
		return s
	}
	return string(r[:MaxDescription-1]) + "…"
}

// APIError is a forge request that failed, with a hint at the cause.
type APIError struct {
	Forge   string
	Op      string // what we tried: "list comments on owner/repo#3"
	Status  int    // HTTP status; 0 when none arrived
	Message string // the forge's own message
	Hint    string
	Err     error
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: %s", e.Forge, e.Op)
	if e.Status != 0 {
		msg += fmt.Sprintf(": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Message != "" {
		msg += ": " + e.Message
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *APIError) Unwrap() error { return e.Err }

// IsDenied says whether the forge refused the token (401 or 403): a token
// that is invalid, or may not do this here, like the read-only token a
// fork's pull request gets.
func IsDenied(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden)
}

// need says what a token needs for an operation, per forge; missing
// names what else a 404 may mean ("" = the pull request or commit).
type need struct{ github, gitea, missing string }

var (
	needComment = need{github: "`pull-requests: write` (or `issues: write`) on the repository; a classic token needs the repo scope",
		gitea: "the write:issue scope and write access to the repository"}
	needStatus = need{github: "`statuses: write` on the repository; a classic token needs the repo:status scope",
		gitea: "the write:repository scope and write access to the repository"}
	needUser   = need{github: "read access to its own user (GET /user)", gitea: "the read:user scope, to tell its own comments from other users'"}
	needRead   = need{github: "read access to the repository (`pull-requests: read`)", gitea: "the read:repository scope"}
	needCreate = need{"`administration: write` on the owner (fine-grained token) or the repo scope (classic token), to create repositories",
		"the write:repository scope (and write:organization for an organisation), with the right to create repositories in the owner",
		"or its owner"}
	needPush = need{"`contents: write` on the repository; a classic token needs the repo scope",
		"the write:repository scope and write access to the repository", "or its branch"}
	needPullRequest = need{"`pull-requests: write` on the repository; a classic token needs the repo scope",
		"the write:repository scope and write access to the repository", "or the pull request's branches"}
)

// apiError classifies a failed request.
func (o Options) apiError(op string, status int, message string, err error, n need, repo Repo) error {
	e := &APIError{Forge: o.Kind, Op: op, Status: status, Message: message, Err: err}
	src := orDefault(o.TokenSource, "the token")
	want := n.github
	if o.Kind == "gitea" {
		want = n.gitea
	}
	switch status {
	case http.StatusUnauthorized:
		e.Hint = fmt.Sprintf("the forge rejected the token in %s: check that it is valid and not expired", src)
	case http.StatusForbidden:
		on := ""
		if repo.Owner != "" {
			on = " on " + repo.String()
		}
		e.Hint = fmt.Sprintf("the token in %s lacks permission%s: it needs %s", src, on, want)
	case http.StatusNotFound:
		if n.missing != "" {
			e.Hint = fmt.Sprintf("%s, %s, was not found: check --repo and that the token in %s can see it (a private repository answers 404 to a token without access)", repo, n.missing, src)
			break
		}
		e.Hint = fmt.Sprintf("%s, or the pull request or commit, was not found: check --repo, --pr and --sha, and that the token in %s can see the repository (a private repository answers 404 to a token without access)", repo, src)
	}
	return e
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
