package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/enroll"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/report"
)

// enrollFlags are enroll's own flags.
type enrollFlags struct {
	upstream, mirrorOwner, floor, recipesDir string
	interval, syncTimeout, cloneTimeout      time.Duration
}

func newEnrollCmd() *cobra.Command {
	var ff forgeFlags
	var ef enrollFlags
	cmd := &cobra.Command{
		Use:   "enroll NAME --upstream GIT-URL --forge github|gitea --repo OWNER/NAME",
		Short: "Mirror a recipe and open a pull request that enrolls it",
		Long: `Enroll a recipe that has no recipes/NAME/ folder yet:

 1. make sure the CI's forge organisation (the owner of --repo, or
    --mirror-owner) has a mirror of the upstream repository: a Gitea pull
    mirror (migrate API, synced every --mirror-interval; synced now when it
    exists), or on GitHub a repository that every upstream branch and tag
    is pushed to;
 2. scaffold recipes/NAME/ from what the recipe says of itself: recipe.toml
    (services, readiness probe, backup hints, secrets, versions, a todo
    parity row per upstream test), PARITY.md and a first Go test;
 3. commit it on the branch enroll/NAME of --repo (the CI's own
    repository) and open a pull request, or update the one that exists.

Everything is checked before anything is created. Running it again syncs
the mirror and updates the branch and pull request; it never opens a
second one, and never rewrites a branch a maintainer has committed to.`,
		Example: `  GITEA_TOKEN=... recipe-test enroll keycloak --upstream https://git.coopcloud.tech/coop-cloud/keycloak.git \
      --forge gitea --forge-url https://git.example.org --repo cc-ci/recipe-test --token-env GITEA_TOKEN
  recipe-test enroll keycloak --upstream https://git.coopcloud.tech/coop-cloud/keycloak.git \
      --forge github --repo cc-ci/recipe-test --floor out/results.json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ff.kind == "" || ff.kind == "none" {
				return usageError{errors.New("enroll needs a forge: --forge github or --forge gitea")}
			}
			fo, repo, err := ff.options(os.Getenv)
			if err != nil {
				return usageError{err}
			}
			o := enroll.Options{Name: args[0], Upstream: ef.upstream, Repo: repo, MirrorOwner: ef.mirrorOwner,
				MirrorInterval: ef.interval, SyncTimeout: ef.syncTimeout, CloneTimeout: ef.cloneTimeout, RecipesDir: ef.recipesDir,
				Log: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))}
			if ef.floor != "" {
				if o.Floor, err = report.ReadJSON(ef.floor); err != nil {
					return usageError{fmt.Errorf("--floor: %w", err)}
				}
			}
			return runEnroll(cmd, fo, o)
		},
	}
	ff.register(cmd.Flags())
	cmd.Flags().StringVar(&ef.upstream, "upstream", "", "the recipe's git repository (URL or local path)")
	cmd.Flags().StringVar(&ef.mirrorOwner, "mirror-owner", "", "organisation or user that holds the mirror (default: the owner of --repo)")
	cmd.Flags().DurationVar(&ef.interval, "mirror-interval", 8*time.Hour, "how often a Gitea pull mirror syncs (at least the server's minimum, 10m by default)")
	cmd.Flags().DurationVar(&ef.syncTimeout, "sync-timeout", 2*time.Minute, "how long to wait for the mirror to show every upstream branch and tag")
	cloneTimeoutFlag(cmd.Flags(), &ef.cloneTimeout)
	cmd.Flags().StringVar(&ef.floor, "floor", "", "results.json of a generic floor run of the recipe, summarised in the pull request")
	cmd.Flags().StringVar(&ef.recipesDir, "recipes-dir", enrollment.DefaultRecipesDir(), "local enrollments a new name must not clash with (default $RECIPE_TEST_RECIPES, else ./recipes)")
	for _, name := range []string{"pr", "sha", "run-url", "comment-author"} {
		_ = cmd.Flags().MarkHidden(name) // a run's flags; enroll opens its own pull request
	}
	// The forge flags are run's; here they name where the enrollment goes.
	forgeFlag := cmd.Flags().Lookup("forge")
	forgeFlag.Usage, forgeFlag.DefValue = "the forge of the CI repository and the mirror: github or gitea (required)", ""
	cmd.Flags().Lookup("repo").Usage = "OWNER/NAME of the CI repository that holds recipes/, where the enrollment pull request goes (default $GITHUB_REPOSITORY)"
	return cmd
}

// runEnroll connects to the forge and enrolls; it prints what it did.
func runEnroll(cmd *cobra.Command, fo forge.Options, o enroll.Options) error {
	f, err := forge.New(cmd.Context(), fo)
	if err != nil {
		return usageError{err}
	}
	o.Forge = f
	res, err := enroll.Run(cmd.Context(), o)
	var ie *enroll.InputError
	if errors.As(err, &ie) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	printEnrollment(cmd, o, res)
	return nil
}

func printEnrollment(cmd *cobra.Command, o enroll.Options, res *enroll.Result) {
	w := cmd.OutOrStdout()
	mirror := "synced"
	if res.MirrorCreated {
		mirror = "created"
	}
	fmt.Fprintf(w, "mirror %s: %s (%s)\n", mirror, res.Mirror.Repo, res.Mirror.CloneURL)
	switch {
	case len(res.Foreign) > 0:
		fmt.Fprintf(w, "branch %s: left as it is (a maintainer has committed to it)\n", res.Branch)
	case res.Commit != "":
		fmt.Fprintf(w, "branch %s: scaffold committed (%.12s)\n", res.Branch, res.Commit)
	default:
		fmt.Fprintf(w, "branch %s: scaffold unchanged\n", res.Branch)
	}
	verb := "updated"
	switch {
	case res.PullRequest.Created:
		verb = "opened"
	case res.PullRequest.Reopened:
		verb = "reopened"
	}
	fmt.Fprintf(w, "pull request %s: %s#%d %s\n", verb, o.Repo, res.PullRequest.Number, res.PullRequest.URL)
}
