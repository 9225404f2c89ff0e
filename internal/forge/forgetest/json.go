package forgetest

import (
	"fmt"
	"hash/fnv"
)

// The response bodies, in the shapes docs.github.com/rest documents (the
// fields recipe-test or go-github read, and their neighbours).

// created is every object's creation time: the fake has no clock of its own.
const created = "2026-11-26T12:00:00Z"

// userID is a stable id per login; the workflow's bot has its real one.
func userID(login string) int64 {
	if login == WorkflowBot {
		return 41898282
	}
	h := fnv.New32a()
	h.Write([]byte(login))
	return int64(h.Sum32()%1_000_000) + 1
}

// userJSON is a simple user, as GitHub shows owners and authors.
func (g *GitHub) userJSON(login string) map[string]any {
	typ := g.users[login]
	if typ == "" {
		typ = "User"
	}
	return map[string]any{"login": login, "id": userID(login), "node_id": fmt.Sprintf("U_%d", userID(login)), "type": typ,
		"site_admin": false, "url": g.URL + "/users/" + login, "html_url": "https://github.com/" + login}
}

func (g *GitHub) repoJSON(r *repository) map[string]any {
	perms := map[string]bool{"admin": r.admin, "maintain": r.admin, "push": !r.readOnly, "triage": !r.readOnly, "pull": true}
	visibility := "public"
	if r.Private {
		visibility = "private"
	}
	return map[string]any{
		"id": r.id, "node_id": fmt.Sprintf("R_%d", r.id), "name": r.Name, "full_name": r.fullName(),
		"owner": g.userJSON(r.Owner), "private": r.Private, "visibility": visibility, "fork": false,
		"html_url": "https://github.com/" + r.fullName(), "url": g.URL + "/repos/" + r.fullName(),
		"clone_url": r.GitURL, "description": r.Description, "homepage": r.Homepage,
		"size": repoSize(r.GitURL), "default_branch": r.DefaultBranch, "permissions": perms,
		"has_issues": true, "has_projects": true, "has_wiki": true, "archived": false, "disabled": false,
		"created_at": created, "updated_at": created, "pushed_at": created,
	}
}

func (g *GitHub) commentJSON(r *repository, number int, c Comment) map[string]any {
	return map[string]any{
		"id": c.ID, "node_id": fmt.Sprintf("IC_%d", c.ID), "body": c.Body,
		"url":       fmt.Sprintf("%s/repos/%s/issues/comments/%d", g.URL, r.fullName(), c.ID),
		"html_url":  fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", r.fullName(), number, c.ID),
		"issue_url": fmt.Sprintf("%s/repos/%s/issues/%d", g.URL, r.fullName(), number),
		"user":      g.userJSON(c.Author), "author_association": "NONE",
		"created_at": created, "updated_at": created,
	}
}

// pullJSON shows a pull request; an open one's head is its branch's
// commit now.
func (g *GitHub) pullJSON(r *repository, p *Pull) map[string]any {
	if sha := r.branch(p.Head); sha != "" && p.State == "open" {
		p.HeadSHA = sha
	}
	ref := func(branch, sha string) map[string]any {
		return map[string]any{"label": r.Owner + ":" + branch, "ref": branch, "sha": sha, "user": g.userJSON(r.Owner),
			"repo": map[string]any{"id": r.id, "name": r.Name, "full_name": r.fullName()}}
	}
	var mergedAt, closedAt any
	if p.State == "closed" {
		closedAt = created
		if p.Merged {
			mergedAt = created
		}
	}
	author := p.Author
	if author == "" {
		author = r.Owner
	}
	return map[string]any{
		"id": r.id*1000 + int64(p.Number), "number": p.Number, "state": p.State, "locked": false, "draft": false,
		"title": p.Title, "body": p.Body, "user": g.userJSON(author),
		"url":      fmt.Sprintf("%s/repos/%s/pulls/%d", g.URL, r.fullName(), p.Number),
		"html_url": fmt.Sprintf("https://github.com/%s/pull/%d", r.fullName(), p.Number),
		"head":     ref(p.Head, p.HeadSHA), "base": ref(p.Base, r.branch(p.Base)),
		"merged": p.Merged, "merged_at": mergedAt, "closed_at": closedAt, "created_at": created, "updated_at": created,
	}
}
