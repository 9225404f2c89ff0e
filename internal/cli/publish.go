package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/outdir"
	"github.com/cc-ci/recipe-test/v2/internal/publish"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/workflowcmd"
)

func newPublishCmd() *cobra.Command {
	var from, eventPath string
	var ff forgeFlags
	cmd := &cobra.Command{
		Use:   "publish --from results.json",
		Short: "Post a saved run's report on its pull request: the sticky comment and the commit status",
		Long: `Publish the results.json of an earlier run to a forge, as "run --forge"
would have: the sticky comment on the pull request and the commit status.

This is the second half of the split that tests pull requests from forks:
the pull_request job, whose token is read-only, tests and uploads its
results folder with a copy of its event payload (event.json); a job
triggered by workflow_run, which may write, downloads them and runs
publish. In that job the pull request and commit come from the forge's
workflow_run event, which the tested code cannot change: the status goes
on the commit that run tested, the report links to that run, and the
pull request number read from the saved event.json (all a fork's
pull_request job can name) is used only when that pull request's head is
that commit.

Outside a workflow_run job, --pr and --sha, else the saved event.json,
name the target.

--base-results names the base branch's last results.json of the recipe:
the comment then says "L5 on main, L3 here". The screenshot the run's
tests saved is read beside --from (custom/screenshots/): attached to the
comment on Gitea and Forgejo, linked to the run's artifacts on GitHub.

--forge defaults to the Actions run's forge (gitea under Gitea or Forgejo
Actions, github under GitHub Actions).

Exit codes: 0 published; 1 publishing failed; 2 usage error.`,
		Example: `  recipe-test publish --from results/results.json
  recipe-test publish --from results.json --event event.json --forge gitea --forge-url https://git.example.org --repo coop-cloud/example`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPublish(cmd.Context(), cmd, ff, from, eventPath, os.Getenv)
		},
	}
	ff.register(cmd.Flags())
	cmd.Flags().Lookup("forge").DefValue = ""
	ff.kind = ""
	cmd.Flags().StringVar(&from, "from", "", "the results.json of the run to publish (required)")
	cmd.Flags().StringVar(&eventPath, "event", "", "the event payload the testing job saved (default: event.json beside --from, when present)")
	return cmd
}

func runPublish(ctx context.Context, cmd *cobra.Command, ff forgeFlags, from, eventPath string, getenv func(string) string) error {
	if from == "" {
		return usageError{errors.New("--from is required: the results.json of a run")}
	}
	run, err := report.ReadJSON(from)
	if err != nil {
		return usageError{err}
	}
	if ff.kind == "" {
		if ff.kind = flavour(getenv); getenv("GITHUB_ACTIONS") != "true" {
			return usageError{errors.New("--forge is required outside Actions: github or gitea")}
		}
	}
	if ff.kind == "none" {
		return usageError{errors.New("--forge none: publish needs a forge, github or gitea")}
	}
	if eventPath == "" {
		if p := filepath.Join(filepath.Dir(from), "event.json"); fileExists(p) {
			eventPath = p
		}
	}
	logf := func(format string, args ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "recipe-test: "+format+"\n", args...) }
	fo, repo, err := ff.options(getenv)
	if err != nil {
		return usageError{err}
	}
	fg, err := forge.New(ctx, fo)
	if err != nil {
		return usageError{err}
	}
	warnf := func(format string, args ...any) { logf("warning: "+format, args...) }
	if getenv("GITHUB_ACTIONS") == "true" { // a docker:// step: an annotation
		a := githubactions.New(githubactions.WithWriter(workflowcmd.CommandWriter(cmd.OutOrStdout())), githubactions.WithGetenv(getenv))
		warnf = func(format string, args ...any) { a.Warningf("%s", excerpt.FirstLine(fmt.Sprintf(format, args...))) }
	}
	t, untrusted, err := publishTarget(ctx, fg, repo, ff, eventPath, getenv, warnf)
	if err != nil {
		return err
	}
	if t.RunURL != "" || untrusted {
		run.RunURL = t.RunURL // the saved one is the tested code's to write
	}
	pub := &publish.Publisher{T: t, Logf: logf, Warnf: warnf, Base: ff.baseline(), Dir: filepath.Dir(from)}
	if err := pub.Finish(ctx, run); err != nil {
		return failedError{err}
	}
	return nil
}

// publishTarget works out where a saved run's report goes. In a
// workflow_run job the forge's event is trusted and the saved files are
// not (untrusted is then true): the commit and the run link come from the
// former, and a pull request named only by the latter must have that
// commit as its head.
func publishTarget(ctx context.Context, fg forge.Forge, repo forge.Repo, ff forgeFlags, eventPath string,
	getenv func(string) string, warnf func(string, ...any)) (t publish.Target, untrusted bool, err error) {
	t = publish.Target{Forge: fg, Repo: repo, PR: ff.pr, SHA: ff.sha, RunURL: ff.runURL}
	var trusted, saved forge.Event
	if p := getenv("GITHUB_EVENT_PATH"); p != "" {
		if trusted, err = forge.ReadEvent(p); err != nil {
			return t, false, usageError{err}
		}
	}
	switch {
	case eventPath != "":
		if saved, err = forge.ReadEvent(eventPath); err != nil {
			return t, false, usageError{fmt.Errorf("--event: %w", err)}
		}
	case !trusted.WorkflowRun:
		saved = trusted // publishing from the pull_request job itself
	}
	if !trusted.WorkflowRun {
		if t.PR == 0 {
			t.PR = saved.PR
		}
		if t.SHA == "" && t.PR == saved.PR {
			t.SHA = saved.HeadSHA
		}
		if t.RunURL == "" {
			t.RunURL = ff.link(getenv)
		}
	} else {
		if t.SHA == "" {
			t.SHA = trusted.HeadSHA
		}
		if t.RunURL == "" {
			t.RunURL = trusted.RunURL
		}
		if t.PR == 0 && trusted.PR != 0 {
			t.PR = trusted.PR
		} else if t.PR == 0 && saved.PR != 0 {
			head, err := fg.PullRequestHead(ctx, repo, saved.PR)
			switch {
			case err != nil:
				return t, false, err
			case head != t.SHA:
				warnf("not commenting on %s#%d: its head is %.12s, the tested run's commit is %.12s (the saved event is the tested code's to write; or the pull request moved on since)",
					repo, saved.PR, head, t.SHA)
			default:
				t.PR = saved.PR
			}
		}
	}
	if t.SHA == "" && t.PR > 0 {
		if t.SHA, err = fg.PullRequestHead(ctx, repo, t.PR); err != nil {
			return t, false, err
		}
	}
	if ff.noComment {
		t.PR = 0
	}
	if t.PR == 0 && t.SHA == "" {
		return t, false, usageError{errors.New("nothing to publish on: give --pr and/or --sha, or --event with the testing job's event payload")}
	}
	return t, trusted.WorkflowRun, nil
}

// savePullRequest writes out/event.json, what publish needs of this
// run's event: the pull request and its head commit, in the payload's
// shape. The testing job of a fork's pull request uploads it with the
// results for the job that publishes them. Nothing is written for an
// event about no pull request.
func savePullRequest(getenv func(string) string, out string) error {
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return nil
	}
	ev, err := forge.ReadEvent(path)
	if err != nil || ev.PR == 0 || ev.WorkflowRun {
		return err
	}
	data, err := json.Marshal(map[string]any{"number": ev.PR, "pull_request": map[string]any{
		"number": ev.PR, "head": map[string]string{"sha": ev.HeadSHA}}})
	if err != nil {
		return err
	}
	// Through outdir, as every output: the output folder may be the
	// checkout's, and a symlink planted as event.json is not followed.
	d, err := outdir.Open(out)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.WriteFile("event.json", append(data, '\n'), 0o644)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
