package forge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
)

var _ CommentAttacher = (*giteaForge)(nil)

// ReplaceCommentAttachments uploads first and deletes after, so that a
// failed upload leaves the previous file, and a second file left by an
// upload whose answer was lost (the POST is not resent: see resendable)
// goes at the next replacement.
func (g *giteaForge) ReplaceCommentAttachments(ctx context.Context, repo Repo, pr int, id int64, name string, data []byte) (Attachment, error) {
	var added Attachment
	if data != nil {
		g.c.SetContext(ctx)
		a, resp, err := g.c.CreateIssueCommentAttachment(repo.Owner, repo.Name, id, bytes.NewReader(data), name)
		if err != nil {
			return Attachment{}, g.err(fmt.Sprintf("attach %s to comment %d on %s#%d", name, id, repo, pr), resp, err, needComment, repo)
		}
		added = Attachment{ID: a.ID, Name: a.Name, Size: a.Size, URL: a.DownloadURL}
	}
	g.c.SetContext(ctx)
	all, resp, err := g.c.ListIssueCommentAttachments(repo.Owner, repo.Name, id)
	if err != nil {
		return added, g.err(fmt.Sprintf("list the attachments of comment %d on %s#%d", id, repo, pr), resp, err, needRead, repo)
	}
	var errs []error
	for _, old := range all {
		if data != nil && old.ID == added.ID {
			continue
		}
		g.c.SetContext(ctx)
		resp, err := g.c.DeleteIssueCommentAttachment(repo.Owner, repo.Name, id, old.ID)
		if err != nil && !(resp != nil && resp.StatusCode == http.StatusNotFound) { // gone already: fine
			errs = append(errs, g.err(fmt.Sprintf("delete attachment %s (%d) of comment %d on %s#%d", old.Name, old.ID, id, repo, pr), resp, err, needComment, repo))
		}
	}
	return added, errors.Join(errs...)
}
