package forge

import (
	"context"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// The capabilities of a forge, one interface each, so that a caller
// depends on what it uses: publishing a run needs a Commenter and a
// StatusSetter, enrolling a recipe needs Repositories, Mirrors and
// PullRequests. Both forges have all of them (Forge); a MirrorSyncer and a
// CommentAttacher only Gitea, found by a type assertion.
type (
	// Commenter keeps one comment per marker on a pull request.
	Commenter interface {
		// UpsertComment edits the pull request's comment that contains
		// marker, or creates one, so that re-running leaves one comment.
		UpsertComment(ctx context.Context, repo Repo, pr int, marker, body string) (Comment, error)
	}

	// StatusSetter sets commit statuses.
	StatusSetter interface {
		// SetStatus sets a commit status on sha.
		SetStatus(ctx context.Context, repo Repo, sha string, st Status) error
	}

	// PullRequests reads pull requests and keeps one per branch.
	PullRequests interface {
		// PullRequestHead returns the head commit of a pull request,
		// where its statuses belong.
		PullRequestHead(ctx context.Context, repo Repo, pr int) (string, error)
		// UpsertPullRequest updates the open pull request from spec.Head
		// to spec.Base, reopens a closed unmerged one, or opens one: there
		// is never a second.
		UpsertPullRequest(ctx context.Context, repo Repo, spec PullRequestSpec) (PullRequest, error)
	}

	// Repositories reads repositories and opens them to git.
	Repositories interface {
		// Repository returns a repository's facts; ok is false when it
		// does not exist (or the token cannot see it).
		Repository(ctx context.Context, repo Repo) (info RepoInfo, ok bool, err error)
		// GitAuth is the token as git's credentials for gitURL (a clone
		// URL the forge gave): nil for a URL that is not HTTP(S). The
		// token goes over plain http:// only to loopback or when
		// Options.AllowHTTP says so.
		GitAuth(gitURL string) (transport.AuthMethod, error)
	}

	// Mirrors creates mirrors of upstream repositories.
	Mirrors interface {
		// CreateMirror creates repo as a mirror of upstream. On a
		// MirrorSyncer (Gitea) it is a pull mirror made by the migrate API
		// that syncs every interval; on GitHub, which has no pull mirrors,
		// an empty public repository whose homepage names upstream, for
		// the caller to push to.
		CreateMirror(ctx context.Context, repo Repo, upstream string, interval time.Duration, description string) (RepoInfo, error)
	}

	// CommentAttacher is a forge whose comments hold files (Gitea and
	// Forgejo; GitHub's API has no attachments).
	CommentAttacher interface {
		// ReplaceCommentAttachments uploads data as name to the comment
		// id on repo#pr, then deletes the comment's other attachments, so
		// that a comment updated run after run holds one; with nil data
		// it deletes them all (this run has nothing to show).
		ReplaceCommentAttachments(ctx context.Context, repo Repo, pr int, id int64, name string, data []byte) (Attachment, error)
	}

	// MirrorSyncer is a forge with pull mirrors, which it keeps up to date
	// itself (Gitea).
	MirrorSyncer interface {
		// SyncMirror asks a pull mirror to fetch from its upstream now.
		// The sync runs in the background on the forge.
		SyncMirror(ctx context.Context, repo Repo) error
	}
)

// Attachment is a file attached to a comment.
type Attachment struct {
	ID   int64
	Name string
	Size int64
	// URL is where the forge serves the file, for an image in the
	// comment's body.
	URL string
}

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
