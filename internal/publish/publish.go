// Package publish puts a run's report on its forge: a pending commit
// status when the run starts, then the sticky PR comment (the Markdown
// report under a hidden marker, with the delta against the base branch
// and the app's screenshot) and the final status when it ends.
package publish

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// Forge is what publishing needs of a forge.
type Forge interface {
	forge.Commenter
	forge.StatusSetter
}

// Target is where a run reports.
type Target struct {
	Forge  Forge
	Repo   forge.Repo
	PR     int    // 0: no comment
	SHA    string // "": no statuses
	RunURL string // the statuses' link, when known
}

// Publisher reports one run to its Target.
type Publisher struct {
	T Target
	// Logf receives one line per published item.
	Logf func(format string, args ...any)
	// CommentURL is the sticky comment's address once Finish posted it.
	CommentURL string
	// Redact is the final redaction pass over everything sent to the
	// forge (the comment, the statuses' contexts and descriptions): the
	// results are masked already, this catches what the rendering added.
	// URL credentials are stripped even when it is nil.
	Redact *redact.Redactor
	// Warnf receives what could not be published while the rest was (the
	// base results, the screenshot); nil = a Logf line.
	Warnf func(format string, args ...any)
	// Base finds the base branch's last result, for the comment's delta
	// line; nil: none.
	Base Baseline
	// Dir is the output folder the run's screenshot paths are relative
	// to; "": the screenshot is not attached.
	Dir string
	// MaxScreenshot bounds the screenshot attached to the comment; 0 =
	// DefaultMaxScreenshot.
	MaxScreenshot int64
	// statusDenied: the forge refused the pending status; Finish sets none.
	statusDenied bool
}

func (p *Publisher) logf(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
}

func (p *Publisher) warnf(format string, args ...any) {
	if p.Warnf != nil {
		p.Warnf(format, args...)
		return
	}
	p.logf("warning: "+format, args...)
}

// Start sets the recipe's status to pending. It is the first request of a
// run to the forge, so a wrong token or repository shows here, before
// anything is deployed. When the forge refuses the token (see
// forge.IsDenied: a fork's pull request gets a read-only token), the
// caller may go on testing: Finish then sets no status, and still tries
// the comment, which needs another permission.
func (p *Publisher) Start(ctx context.Context, recipe string) error {
	if p.T.SHA == "" {
		return nil
	}
	err := p.T.Forge.SetStatus(ctx, p.T.Repo, p.T.SHA, forge.Status{Context: p.Redact.String(forge.StatusContext(recipe)), State: forge.Pending,
		Description: "recipe-test is running", TargetURL: p.T.RunURL})
	if err != nil {
		p.statusDenied = forge.IsDenied(err)
		return err
	}
	p.logf("status %s: pending on %s@%.12s", forge.StatusContext(recipe), p.T.Repo, p.T.SHA)
	return nil
}

// Finish posts or updates the sticky comment and sets the final status.
// Both are attempted; their errors are joined.
func (p *Publisher) Finish(ctx context.Context, run *results.Run) error {
	recipe := run.Recipe
	if recipe == "" {
		recipe = run.Location
	}
	recipe = clipName(recipe)
	var errs []error
	if p.T.PR > 0 {
		if err := p.postComment(ctx, run, recipe); err != nil {
			errs = append(errs, err)
		}
	}
	if p.T.SHA != "" && !p.statusDenied {
		st := forge.Status{Context: p.Redact.String(forge.StatusContext(recipe)), State: forge.Success, TargetURL: p.T.RunURL,
			Description: p.Redact.String(strings.TrimSpace(strings.TrimLeft(report.Verdict(run), "✅❌ ")))}
		switch {
		case run.Error != "" && len(run.Stages) == 0:
			st.State = forge.Error
		case run.Status != results.Pass:
			st.State = forge.Failure
		}
		if err := p.T.Forge.SetStatus(ctx, p.T.Repo, p.T.SHA, st); err != nil {
			errs = append(errs, err)
		} else {
			p.logf("status %s: %s", st.Context, st.State)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("publishing the report: %w", errors.Join(errs...))
	}
	return nil
}

// postComment posts or updates the sticky comment, with the delta
// against the base branch and the app's screenshot. A forge that takes
// attachments (Gitea, Forgejo) gets the screenshot attached to the
// comment, which is then edited to show it: an attachment belongs to a
// comment, so the comment comes first. Any other (GitHub) gets a link to
// the run's artifacts. What fails of the base or the screenshot is a
// warning, never a failure of the comment.
func (p *Publisher) postComment(ctx context.Context, run *results.Run, recipe string) error {
	x := report.Extras{Base: p.base(ctx, recipe)}
	attacher, canAttach := p.T.Forge.(forge.CommentAttacher)
	var shot report.Screenshot
	var data []byte
	if canAttach {
		shot, data = p.screenshot(run)
	} else if rel := run.Screenshot(); rel != "" {
		shot = report.Screenshot{Name: rel, URL: artifactsURL(p.T.RunURL, run.RunURL)}
	}
	if data == nil {
		x.Screenshot = shot // a link or a note; an upload waits for the comment
	}
	c, err := p.upsertComment(ctx, run, recipe, x)
	switch {
	case err != nil || !canAttach:
		return err
	case data == nil:
		if !c.Created { // an earlier run's screenshot must not pass for this one's
			if _, err := attacher.ReplaceCommentAttachments(ctx, p.T.Repo, p.T.PR, c.ID, "", nil); err != nil {
				p.warnf("an earlier run's screenshot stays attached to the comment: %s", excerpt.FirstLine(err.Error()))
			}
		}
		return nil
	}
	x.Screenshot = p.attach(ctx, attacher, c, shot, data)
	_, err = p.upsertComment(ctx, run, recipe, x)
	return err
}

// attach uploads the screenshot to the comment, replacing the earlier
// run's, and returns how the comment shows it: from the forge, or with a
// note saying why not.
func (p *Publisher) attach(ctx context.Context, attacher forge.CommentAttacher, c forge.Comment, shot report.Screenshot, data []byte) report.Screenshot {
	a, err := attacher.ReplaceCommentAttachments(ctx, p.T.Repo, p.T.PR, c.ID, uploadName(shot.Name), data)
	switch {
	case err != nil && a.URL == "":
		shot.Note = "Not attached: the upload failed."
		if forge.IsDenied(err) {
			shot.Note = "Not attached: the token may not upload to the comment (a fork's pull request gets a read-only one)."
		}
		p.warnf("the screenshot %s is not attached to the comment: %s", shot.Name, excerpt.FirstLine(err.Error()))
		return shot
	case err != nil:
		p.warnf("the screenshot %s is attached to the comment, but an earlier one stays: %s", shot.Name, excerpt.FirstLine(err.Error()))
	}
	shot.URL, shot.Inline = a.URL, true
	p.logf("screenshot %s attached to the comment (%d bytes)", shot.Name, len(data))
	return shot
}

// upsertComment puts the comment's body on the pull request.
func (p *Publisher) upsertComment(ctx context.Context, run *results.Run, recipe string, x report.Extras) (forge.Comment, error) {
	c, err := p.T.Forge.UpsertComment(ctx, p.T.Repo, p.T.PR, forge.Marker(recipe), comment(run, recipe, x, report.MaxMarkdown, p.Redact))
	if err != nil {
		return c, err
	}
	p.CommentURL = c.URL
	verb := "updated"
	if c.Created {
		verb = "posted"
	}
	p.logf("comment %s on %s#%d: %s", verb, p.T.Repo, p.T.PR, c.URL)
	return c, nil
}

// Comment is the sticky comment's body: the marker, then the report,
// within the forge's comment limit.
func Comment(run *results.Run, recipe string) string {
	return comment(run, recipe, report.Extras{}, report.MaxMarkdown, nil)
}

// comment renders the body within limit bytes, the report passed through
// red (the marker stays as it is: it must find the comment again). A
// stripped URL credential can grow by two bytes ("a@" becomes "***@"),
// so a body the pass made too long is rendered again with less room.
func comment(run *results.Run, recipe string, x report.Extras, limit int, red *redact.Redactor) string {
	marker := forge.Marker(clipName(recipe))
	room := limit - len(marker) - 1
	for {
		md := red.String(report.RenderWith(run, x, room))
		if over := len(marker) + 1 + len(md) - limit; over > 0 && room > over {
			room -= over
			continue
		}
		return marker + "\n" + md
	}
}

// maxName bounds the recipe name in the marker and the status context.
// The name is the recipe's TYPE, which the recipe controls: a megabyte of
// it must not eat the comment's room or make the forge refuse the status.
// The cut is deterministic, so the marker still finds the comment again.
const maxName = 100

func clipName(name string) string {
	if len(name) <= maxName {
		return name
	}
	cut := maxName
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut]
}
