package cli

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/cc-ci/recipe-test/v2/internal/enroll"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/giturl"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// enrollTokenVar is the variable the enroll-token input is read through.
const enrollTokenVar = "RECIPE_TEST_ENROLL_TOKEN"

// actionEnroll opens (or updates) the enrollment pull request of a recipe
// the run found unenrolled, on the CI's repository (input enroll-repo,
// else the action's own repository), with a token that may push there and
// create the mirror: enroll-token; with enroll: true, else token. Without
// enroll-token, enroll: auto (the default) does nothing. Enrolling is a side job: a
// failure is a warning and leaves the run's verdict alone; nothing is
// created when the token cannot do it all. It returns the pull request's
// URL, or "" when nothing was done.
func actionEnroll(ctx context.Context, a *githubactions.Action, getenv func(string) string, res *results.Run, location string) string {
	in := a.GetInput
	mode := strings.ToLower(strings.TrimSpace(in("enroll")))
	if mode == "" {
		mode = "auto"
	}
	if mode == "false" || res.Enrollment != "" || res.Recipe == "" {
		return ""
	}
	if mode != "auto" && mode != "true" {
		a.Warningf("input enroll %q: use auto, true or false; not enrolling", mode)
		return ""
	}
	token, ownToken := in("enroll-token"), false
	switch {
	case token != "":
		a.AddMask(token)
	case mode == "auto":
		// Enrolling is opt-in: most workflows test a recipe they do not
		// mean to enroll, and the workflow's own token cannot do it.
		return ""
	default:
		token, ownToken = in("token"), true
	}
	repoName := in("enroll-repo")
	if repoName == "" {
		repoName = getenv("GITHUB_ACTION_REPOSITORY")
	}
	if token == "" || repoName == "" {
		a.Noticef("recipe %s is not enrolled; give the enroll-repo input (the CI repository that holds recipes/) and a token that may push there (enroll-token) to have recipe-test open its enrollment pull request", res.Recipe)
		return ""
	}
	upstream := location
	if !giturl.Is(upstream) {
		// A checkout in the workspace: the repository the workflow runs for.
		server, repo := strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/"), getenv("GITHUB_REPOSITORY")
		if server == "" || repo == "" {
			a.Warningf("recipe %s is not enrolled, and its repository is unknown (no GITHUB_SERVER_URL/GITHUB_REPOSITORY): not enrolling", res.Recipe)
			return ""
		}
		upstream = server + "/" + repo + ".git"
	}
	allowHTTP, _ := boolInput(in, "forge-allow-http", false) // checked by runAction
	ff := forgeFlags{kind: flavour(getenv), repo: repoName, tokenEnv: enrollTokenVar, allowHTTP: allowHTTP}
	env := func(k string) string {
		if k == enrollTokenVar {
			return token
		}
		return getenv(k)
	}
	fo, repo, err := ff.options(env)
	if err == nil {
		var f forge.Forge
		if f, err = forge.New(ctx, fo); err == nil {
			var r *enroll.Result
			r, err = enroll.Run(ctx, enroll.Options{Name: res.Recipe, Upstream: upstream, Forge: f, Repo: repo,
				MirrorOwner: in("enroll-mirror-owner"), RecipesDir: enrollment.DefaultRecipesDir(), Floor: res,
				Log: slog.New(slog.DiscardHandler)})
			if err == nil {
				a.Noticef("recipe %s is not enrolled yet: enrollment pull request %s", res.Recipe, r.PullRequest.URL)
				return r.PullRequest.URL
			}
		}
	}
	msg := "not enrolled: " + excerpt.FirstLine(err.Error())
	var ie *enroll.InputError
	if ownToken && errors.As(err, &ie) {
		msg += " (the workflow's own token usually cannot write to another repository: give enroll-token)"
	}
	a.Warningf("%s", msg)
	return ""
}
