// Package publish puts a run's report on its forge: a pending commit
// status when the run starts, then the sticky PR comment (the Markdown
// report under a hidden marker) and the final status when it ends.
package publish

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

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
	// statusDenied: the forge refused the pending status; Finish sets none.
	statusDenied bool
}

func (p *Publisher) logf(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
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
		c, err := p.T.Forge.UpsertComment(ctx, p.T.Repo, p.T.PR, forge.Marker(recipe), p.comment(run, recipe))
		if err != nil {
			errs = append(errs, err)
		} else {
			p.CommentURL = c.URL
			verb := "updated"
			if c.Created {
				verb = "posted"
			}
			p.logf("comment %s on %s#%d: %s", verb, p.T.Repo, p.T.PR, c.URL)
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

// Comment is the sticky comment's body: the marker, then the report,
// within the forge's comment limit.
func Comment(run *results.Run, recipe string) string {
	return comment(run, recipe, report.MaxMarkdown, nil)
}

// comment is Comment after the final redaction pass.
func (p *Publisher) comment(run *results.Run, recipe string) string {
	return comment(run, recipe, report.MaxMarkdown, p.Redact)
}

// comment renders the body within limit bytes, the report passed through
// red (the marker stays as it is: it must find the comment again). A
// stripped URL credential can grow by two bytes ("a@" becomes "***@"),
// so a body the pass made too long is rendered again with less room.
func comment(run *results.Run, recipe string, limit int, red *redact.Redactor) string {
	marker := forge.Marker(clipName(recipe))
	room := limit - len(marker) - 1
	for {
		md := red.String(report.RenderMarkdown(run, room))
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
