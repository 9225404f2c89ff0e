package forge

import (
	"encoding/json"
	"fmt"
	"os"
)

// Event is what a run needs from an Actions event payload
// ($GITHUB_EVENT_PATH), which GitHub and Gitea/Forgejo Actions both write
// in GitHub's shape.
type Event struct {
	PR      int    // the pull request number; 0 when the event is not about one
	HeadSHA string // the pull request's head commit
	// WorkflowRun is set for a workflow_run event, which a job that
	// publishes another run's results gets: HeadSHA is then the completed
	// run's commit, PR its pull request when the forge names one (never
	// for a fork's: GitHub leaves pull_requests empty), and RunURL the
	// completed run's page. The forge wrote these, not the tested code.
	WorkflowRun bool
	RunURL      string
}

// ReadEvent reads an event payload. For pull_request events GITHUB_SHA is
// not the PR head (GitHub gives its test merge commit; Gitea the merge base
// or head depending on version): statuses belong on pull_request.head.sha.
func ReadEvent(path string) (Event, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Event{}, fmt.Errorf("event payload: %w", err)
	}
	var p struct {
		WorkflowRun *struct {
			HeadSHA      string `json:"head_sha"`
			HTMLURL      string `json:"html_url"`
			PullRequests []struct {
				Number int `json:"number"`
				Head   struct {
					SHA string `json:"sha"`
				} `json:"head"`
			} `json:"pull_requests"`
		} `json:"workflow_run"`
		Number      int `json:"number"`
		PullRequest *struct {
			Number int `json:"number"`
			Head   struct {
				SHA string `json:"sha"`
			} `json:"head"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return Event{}, fmt.Errorf("event payload %s: %w", path, err)
	}
	if wr := p.WorkflowRun; wr != nil {
		e := Event{WorkflowRun: true, HeadSHA: wr.HeadSHA, RunURL: wr.HTMLURL}
		for _, pr := range wr.PullRequests {
			if pr.Head.SHA == wr.HeadSHA {
				e.PR = pr.Number
				break
			}
		}
		return e, nil
	}
	if p.PullRequest == nil {
		return Event{}, nil
	}
	e := Event{PR: p.PullRequest.Number, HeadSHA: p.PullRequest.Head.SHA}
	if e.PR == 0 {
		e.PR = p.Number
	}
	return e, nil
}
