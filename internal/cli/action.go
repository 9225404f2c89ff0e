package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/publish"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
	"github.com/cc-ci/recipe-test/v2/internal/workflowcmd"
)

// tokenVar is the variable the action's token input is read through.
const tokenVar = "RECIPE_TEST_TOKEN"

func newActionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "action",
		Short: "Run as a GitHub, Gitea or Forgejo Actions step (the action image's entrypoint)",
		Long: `Run a recipe test as an Actions step: inputs come from INPUT_* variables
(action.yml), outputs go to $GITHUB_OUTPUT, the Markdown report to
$GITHUB_STEP_SUMMARY, each stage's log is folded into a group, every
generated secret and the token are masked, failures are error annotations,
and the report is posted as the PR's sticky comment with a commit status,
on GitHub, or on Gitea and Forgejo (detected by GITEA_ACTIONS and
FORGEJO_ACTIONS). The repository, PR number and head commit come from the
event payload. A token the forge refuses (a fork's pull request gets a
read-only one) is a warning: the recipe is tested all the same, and the
out folder keeps event.json for "recipe-test publish" in a workflow_run
job. Exits non-zero when the check fails.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAction(cmd, os.Getenv)
		},
	}
}

// flavour is the forge an Actions run belongs to.
func flavour(getenv func(string) string) string {
	if getenv("GITEA_ACTIONS") == "true" || getenv("FORGEJO_ACTIONS") == "true" {
		return "gitea"
	}
	return "github"
}

func runAction(cmd *cobra.Command, getenv func(string) string) error {
	// Only the toolkit's commands go to stdout as commands (their data
	// escaped by the toolkit and neutralised by CommandWriter); everything
	// else printed carries text the recipe or the app controls, and goes
	// through workflowcmd.Writer, which makes it impossible to read as a
	// command. stderr is neutralised by run (main.go).
	stdout := cmd.OutOrStdout()
	a := githubactions.New(githubactions.WithWriter(workflowcmd.CommandWriter(stdout)), githubactions.WithGetenv(getenv))
	text := workflowcmd.Writer(stdout)
	in := a.GetInput
	token := in("token")
	if token != "" {
		a.AddMask(token)
	}
	o := runner.Options{
		Source:  runner.Source{Recipe: in("recipe"), Ref: in("ref"), Enrollment: in("enrollment")},
		Deploy:  runner.Deploy{Deployer: in("deployer")},
		Ingress: runner.Ingress{Kind: in("ingress"), DomainSuffix: in("domain-suffix")},
		Hooks:   runner.Hooks{OnSecret: a.AddMask},
		Output: runner.Output{Dir: in("out"), Progress: text,
			Log: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))},
	}
	o.Source.RecipesDir = in("recipes-dir")
	if o.Source.Recipe == "" {
		return usageError{errors.New("input recipe is required: an enrolled recipe's name, a path or a git URL")}
	}
	// A pull request run's workspace is the pull request's: an enrollment
	// there grants nothing (see the deploy policy).
	if ws := getenv("GITHUB_WORKSPACE"); ws != "" && strings.HasPrefix(getenv("GITHUB_EVENT_NAME"), "pull_request") {
		o.Source.NoGrantsFrom = []string{ws}
	}
	if err := runInputs(in, &o); err != nil {
		return usageError{err}
	}
	ssh, removeSSH, err := sshInputs(in, a.AddMask)
	if err != nil {
		return usageError{err}
	}
	defer removeSSH()
	o.Nodes.SSH = ssh
	if err := useDeployer(&o, abraFlags{binary: in("abra"), server: in("abra-server")}); err != nil {
		return usageError{err}
	}
	if s := in("stages"); s != "" {
		o.Stages = []string{s}
	}
	if s := in("timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return usageError{fmt.Errorf("input timeout %q: %w", s, err)}
		}
		o.Deploy.Timeout = d
	}
	if h := in("docker-host"); h != "" {
		os.Setenv("DOCKER_HOST", h)
	}
	if o.Output.Dir == "" {
		o.Output.Dir = runner.DefaultOut
	}
	// Whatever happens next, what lands in the workspace is its owner's:
	// the results, and what fetching a shallow checkout's tags wrote.
	defer func() {
		ws := getenv("GITHUB_WORKSPACE")
		if err := giveToWorkspaceOwner(ws, o.Output.Dir, checkoutGitDir(ws, o.Source.Recipe)); err != nil {
			a.Warningf("%s", excerpt.FirstLine(err.Error()))
		}
	}()
	failOnResidue, err := boolInput(in, "fail-on-residue", true)
	if err != nil {
		return usageError{err}
	}
	comment, err := boolInput(in, "comment", true)
	if err != nil {
		return usageError{err}
	}
	allowHTTP, err := boolInput(in, "forge-allow-http", false)
	if err != nil {
		return usageError{err}
	}
	ff := forgeFlags{kind: "none", tokenEnv: tokenVar, allowHTTP: allowHTTP, baseResults: strings.TrimSpace(in("base-results"))}
	if token != "" {
		ff.kind = flavour(getenv)
		ff.noComment = !comment
	} else {
		a.Warningf("no token input: the report is not posted to the pull request (set token: ${{ github.token }}, or publish it from a workflow_run job with recipe-test publish)")
	}
	var open string
	o.Hooks.OnStage = func(name string, res *results.Stage) {
		if res == nil {
			a.Group(name)
			open = name
			return
		}
		if open == name {
			a.EndGroup()
		}
		if res.Status == results.Fail {
			a.WithFieldsMap(map[string]string{"title": "recipe-test: " + name + " failed"}).Errorf("%s", excerpt.FirstLine(res.Reason))
		}
	}
	env := func(k string) string {
		if k == tokenVar {
			return token
		}
		return getenv(k)
	}
	// An unenrolled recipe's enrollment is proposed before the report is
	// posted, so that the comment links to it.
	enroll := func(ctx context.Context, res *results.Run) {
		res.EnrollmentPR = actionEnroll(ctx, a, getenv, res, o.Source.Recipe)
	}
	warn := func(format string, args ...any) { a.Warningf("%s", excerpt.FirstLine(fmt.Sprintf(format, args...))) }
	if err := actionSyncMirror(cmd.Context(), a, getenv, o.Source, text, warn); err != nil {
		return usageError{err}
	}
	res, pub, perr, err := runAndPublish(cmd.Context(), o, ff, env, text, publishHooks{beforePublish: enroll, warnf: warn})
	if res != nil {
		for _, w := range res.Warnings {
			warn("%s", w) // a shallow checkout that hid the releases, say
		}
		if err := savePullRequest(getenv, o.Output.Dir); err != nil {
			a.Warningf("saving the pull request for recipe-test publish: %s", excerpt.FirstLine(err.Error()))
		}
		writeActionOutputs(a, getenv, o.Output.Dir, res, pub)
	}
	if err != nil {
		a.Errorf("%s", excerpt.FirstLine(err.Error()))
		return err
	}
	if perr != nil {
		a.Warningf("%s", excerpt.FirstLine(perr.Error()))
	}
	onlyResidue := res.Status != results.Pass && len(res.Residue) > 0 && onlyTeardownFailed(res)
	switch {
	case res.Status == results.Pass:
		return nil
	case onlyResidue && !failOnResidue:
		a.Warningf("left behind after teardown (fail-on-residue is false): %s", strings.Join(res.Residue, ", "))
		return nil
	}
	return failedError{fmt.Errorf("%s: %s, level L%d of %d", res.Recipe, res.Status, res.Level, results.MaxLevel)}
}

// writeActionOutputs sets the step's outputs and summary. The library
// panics when $GITHUB_OUTPUT or $GITHUB_STEP_SUMMARY is unset, so both are
// checked first.
func writeActionOutputs(a *githubactions.Action, getenv func(string) string, out string, res *results.Run, pub *publish.Publisher) {
	if getenv("GITHUB_OUTPUT") != "" {
		comment := ""
		if pub != nil {
			comment = pub.CommentURL
		}
		a.SetOutput("status", string(res.Status))
		a.SetOutput("level", strconv.Itoa(res.Level))
		a.SetOutput("results", filepath.Join(out, "results.json"))
		a.SetOutput("junit", filepath.Join(out, "junit.xml"))
		a.SetOutput("comment-url", comment)
		a.SetOutput("enroll-pr", res.EnrollmentPR)
	}
	if getenv("GITHUB_STEP_SUMMARY") != "" {
		if md, err := os.ReadFile(filepath.Join(out, "report.md")); err == nil {
			a.AddStepSummary(string(md))
		}
		if res.EnrollmentPR != "" { // report.md was written before the enrollment
			a.AddStepSummary(report.EnrollmentLine(res.EnrollmentPR))
		}
	}
}

func onlyTeardownFailed(res *results.Run) bool {
	for _, st := range res.Stages {
		if st.Status == results.Fail && st.Name != runner.StageTeardown {
			return false
		}
	}
	return true
}

func boolInput(in func(string) string, name string, def bool) (bool, error) {
	v := in(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("input %s %q: use true or false", name, v)
	}
	return b, nil
}

// mirrorTokenVar is the variable the mirror-token input is read through.
const mirrorTokenVar = "RECIPE_TEST_MIRROR_TOKEN"

// actionSyncMirror is the sync-mirror input: the enrolled recipe's mirror
// synced before the run (see syncBeforeRun) on the Actions run's forge,
// with mirror-token, else token. A sync that fails only warns.
func actionSyncMirror(ctx context.Context, a *githubactions.Action, getenv func(string) string, src runner.Source, text io.Writer, warn func(string, ...any)) error {
	in := a.GetInput
	token := in("mirror-token")
	on, err := boolInput(in, "sync-mirror", false)
	if err != nil || !on {
		return err
	}
	if token == "" {
		token = in("token")
	}
	if token != "" {
		a.AddMask(token)
	}
	allowHTTP, err := boolInput(in, "forge-allow-http", false)
	if err != nil {
		return err
	}
	ff := forgeFlags{kind: flavour(getenv), tokenEnv: mirrorTokenVar, allowHTTP: allowHTTP}
	fo, err := ff.clientOptions(func(k string) string {
		if k == mirrorTokenVar {
			return token
		}
		return getenv(k)
	})
	if err != nil {
		warn("sync-mirror: %s (give mirror-token or token)", excerpt.FirstLine(err.Error()))
		return nil
	}
	note := func(format string, args ...any) { fmt.Fprintf(text, "recipe-test: "+format+"\n", args...) }
	syncBeforeRun(ctx, src, fo, note, warn)
	return nil
}
