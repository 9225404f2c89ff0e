package forge

import (
	"context"
	"fmt"
	"time"
)

// RepoInfo is what enrollment needs to know of a repository.
type RepoInfo struct {
	Repo          Repo
	DefaultBranch string
	CloneURL      string // for git over HTTP(S)
	HTMLURL       string
	// Mirror is true for a Gitea pull mirror; OriginalURL is what it
	// pulls from (on GitHub: the homepage, where a mirror recipe-test
	// created names its upstream).
	Mirror      bool
	OriginalURL string
	// CanPush says whether the token's user may push to it.
	CanPush bool
	Empty   bool
}

// PullRequestSpec is a pull request to open or update.
type PullRequestSpec struct {
	Head, Base  string // branch names in the same repository
	Title, Body string
	// Rebody, when set, makes the body from the existing pull request's
	// ("" for a new one) instead of Body, to keep what this update does
	// not know.
	Rebody func(previous string) string
}

// body is the body to send given the existing one.
func (s PullRequestSpec) body(previous string) string {
	if s.Rebody != nil {
		return s.Rebody(previous)
	}
	return s.Body
}

// PullRequest is a pull request after an upsert.
type PullRequest struct {
	Number int
	URL    string
	// Created: a new pull request; Reopened: a closed one was reopened.
	Created, Reopened bool
}

// Enroller is what `recipe-test enroll` needs of a forge on top of Forge:
// mirrors of upstream recipe repositories and one pull request per
// enrollment on the CI's own repository.
type Enroller interface {
	Forge
	// Repository returns a repository's facts; ok is false when it does
	// not exist (or the token cannot see it).
	Repository(ctx context.Context, repo Repo) (info RepoInfo, ok bool, err error)
	// CreateMirror creates repo as a mirror of upstream. On Gitea it is a
	// pull mirror made by the migrate API that syncs every interval; on
	// GitHub, which has no pull mirrors, an empty public repository the
	// caller pushes to (see PullMirrors).
	CreateMirror(ctx context.Context, repo Repo, upstream string, interval time.Duration, description string) (RepoInfo, error)
	// SyncMirror asks a pull mirror to fetch from its upstream now. The
	// sync runs in the background on the forge.
	SyncMirror(ctx context.Context, repo Repo) error
	// PullMirrors is true when the forge keeps mirrors up to date itself
	// (Gitea); false when the caller pushes upstream's refs (GitHub).
	PullMirrors() bool
	// UpsertPullRequest updates the open pull request from spec.Head to
	// spec.Base, reopens a closed unmerged one, or opens one: there is
	// never a second.
	UpsertPullRequest(ctx context.Context, repo Repo, spec PullRequestSpec) (PullRequest, error)
	// GitAuth is the user name and password for git over HTTP(S) with the
	// token, to gitURL (a clone URL the forge gave). The token goes over
	// plain http:// only to loopback or when Options.AllowHTTP says so.
	GitAuth(gitURL string) (user, password string, err error)
}

// NewEnroller returns the forge client Options describe, for enrollment.
func NewEnroller(ctx context.Context, o Options) (Enroller, error) {
	f, err := New(ctx, o)
	if err != nil {
		return nil, err
	}
	e, ok := f.(Enroller)
	if !ok {
		return nil, fmt.Errorf("%s: enrollment is not supported", o.Kind)
	}
	return e, nil
}
