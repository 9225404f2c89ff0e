package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/mirror"
	"github.com/cc-ci/recipe-test/v2/internal/mirrorsync"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

func newMirrorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mirror",
		Short: "Keep the enrolled recipes' mirrors level with their upstreams",
		Long: `The mirrors the enrolled recipes are fetched from (recipe.toml's [recipe]
mirror, made by recipe-test enroll): "mirror sync" brings them level with
their upstreams, on a schedule or before a run.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("mirror needs a subcommand: mirror sync")}
		},
	}
	cmd.AddCommand(newMirrorSyncCmd())
	return cmd
}

// mirrorFlags are mirror sync's own flags.
type mirrorFlags struct {
	all                       bool
	recipesDir                string
	syncTimeout, cloneTimeout time.Duration
}

func newMirrorSyncCmd() *cobra.Command {
	var ff forgeFlags
	var mf mirrorFlags
	cmd := &cobra.Command{
		Use:   "sync [NAME...|--all] --forge github|gitea",
		Short: "Bring enrolled recipes' mirrors level with their upstreams",
		Long: `Sync the mirror each named enrolled recipe is fetched from (recipe.toml's
[recipe] mirror, made by recipe-test enroll) with its upstream ([recipe]
upstream), and wait until the mirror shows exactly upstream's branches and
tags. A Gitea or Forgejo pull mirror is asked to sync now instead of at its
interval; a GitHub mirror, which only recipe-test updates (GitHub has no
pull mirrors), gets every upstream branch and tag pushed, forced, and what
upstream deleted is deleted.

With --all, every enrolled recipe that has a mirror (the others are fetched
from upstream directly and are listed as such). A named recipe without a
mirror, a mirror the forge does not have or that follows another upstream,
and a failed sync are errors naming the recipe and the mirror; the other
recipes are synced all the same, and the command exits 1 at the end.

The mirror's repository is the one recipe.toml's mirror URL names
(https://git.example.org/cc-ci/app.git: cc-ci/app on --forge-url). The
token needs to read it and, on GitHub, to push to it (contents: write).`,
		Example: `  GITEA_TOKEN=... recipe-test mirror sync --all --forge gitea --forge-url https://git.example.org --token-env GITEA_TOKEN
  MIRROR_TOKEN=... recipe-test mirror sync keycloak n8n --forge github --token-env MIRROR_TOKEN`,
		RunE: func(cmd *cobra.Command, args []string) error {
			es, err := mirrorTargets(mf, args)
			if err != nil {
				return usageError{err}
			}
			if ff.kind == "" || ff.kind == "none" {
				return usageError{errors.New("mirror sync needs the mirrors' forge: --forge github or --forge gitea")}
			}
			fo, err := ff.clientOptions(os.Getenv)
			if err != nil {
				return usageError{err}
			}
			f, err := forge.New(cmd.Context(), fo)
			if err != nil {
				return usageError{err}
			}
			o := mirrorsync.Options{Forge: f, Timeout: mf.syncTimeout, CloneTimeout: mf.cloneTimeout,
				Log: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
			return syncMirrors(cmd.Context(), es, o, mf.all, cmd.OutOrStdout())
		},
	}
	ff.register(cmd.Flags())
	for _, name := range []string{"repo", "pr", "sha", "run-url", "comment-author"} {
		_ = cmd.Flags().MarkHidden(name) // a run's flags; the mirrors are named by recipe.toml
	}
	forgeFlag := cmd.Flags().Lookup("forge")
	forgeFlag.Usage, forgeFlag.DefValue = "the forge the mirrors are on: github or gitea (required)", ""
	cmd.Flags().BoolVar(&mf.all, "all", false, "every enrolled recipe that has a mirror")
	cmd.Flags().StringVar(&mf.recipesDir, "recipes-dir", enrollment.DefaultRecipesDir(), "folder of enrolled recipes (default $RECIPE_TEST_RECIPES, else ./recipes)")
	cmd.Flags().DurationVar(&mf.syncTimeout, "sync-timeout", mirror.DefaultTimeout, "how long to wait for each mirror to show every upstream branch and tag")
	cloneTimeoutFlag(cmd.Flags(), &mf.cloneTimeout)
	return cmd
}

// mirrorTargets loads the enrollments to sync: the named ones, or every
// one with --all.
func mirrorTargets(mf mirrorFlags, names []string) ([]*enrollment.Enrollment, error) {
	switch {
	case mf.all && len(names) > 0:
		return nil, errors.New("mirror sync: name recipes or give --all, not both")
	case mf.all:
		return enrollment.List(mf.recipesDir)
	case len(names) == 0:
		return nil, errors.New("mirror sync: name the recipes whose mirrors to sync, or give --all")
	}
	var out []*enrollment.Enrollment
	for _, name := range names {
		e, ok, err := enrollment.Find(mf.recipesDir, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("mirror sync: recipe %s is not enrolled (no %s/%s/%s)", name, mf.recipesDir, name, enrollment.FileName)
		}
		out = append(out, e)
	}
	return out, nil
}

// syncMirrors syncs each enrollment's mirror, printing a line each; with
// all, an enrollment without a mirror is listed, not an error. Every
// failure is reported and the rest synced; the errors are joined.
func syncMirrors(ctx context.Context, es []*enrollment.Enrollment, o mirrorsync.Options, all bool, w io.Writer) error {
	var errs []error
	for _, e := range es {
		res, err := mirrorsync.Sync(ctx, e, o)
		switch {
		case errors.Is(err, mirrorsync.ErrNoMirror) && all:
			fmt.Fprintf(w, "%s: no mirror (fetched from %s)\n", e.Name(), orPath(e))
		case err != nil:
			fmt.Fprintf(w, "%s: failed\n", e.Name())
			errs = append(errs, err)
		case res.Pulls:
			fmt.Fprintf(w, "%s: mirror %s synced (pull mirror) %s\n", res.Recipe, res.Mirror, res.URL)
		default:
			fmt.Fprintf(w, "%s: mirror %s synced (upstream's branches and tags pushed) %s\n", res.Recipe, res.Mirror, res.URL)
		}
	}
	if len(errs) > 0 {
		return failedError{errors.Join(errs...)}
	}
	return nil
}

func orPath(e *enrollment.Enrollment) string {
	if e.Recipe.Upstream != "" {
		return e.Recipe.Upstream
	}
	return e.Recipe.Path
}

// syncBeforeRun syncs the mirror the enrolled recipe src names is fetched
// from, before the run fetches it (--sync-mirror, the action's sync-mirror
// input). A recipe given as a folder or URL, or enrolled without a mirror,
// has nothing to sync: a note says so. A sync that fails is a warning, not
// the run's failure: the run then tests the mirror as it is, and its
// result stands, since a forge that could not sync says nothing about the
// recipe, and a test result must not be hidden behind it.
func syncBeforeRun(ctx context.Context, src runner.Source, fo forge.Options, notef, warnf func(string, ...any)) {
	dir := src.RecipesDir
	if dir == "" {
		dir = enrollment.DefaultRecipesDir()
	}
	e, ok, err := enrollment.Find(dir, src.Recipe)
	if err != nil {
		warnf("mirror sync: %v", err) // the plan reports it too, and stops
		return
	}
	if !ok || e.Recipe.Mirror == "" {
		notef("mirror sync: recipe %s is not fetched from a mirror: nothing to sync", src.Recipe)
		return
	}
	f, err := forge.New(ctx, fo)
	if err == nil {
		var res mirrorsync.Result
		if res, err = mirrorsync.Sync(ctx, e, mirrorsync.Options{Forge: f}); err == nil {
			notef("mirror sync: recipe %s: mirror %s is level with %s", res.Recipe, res.Mirror, e.Recipe.Upstream)
			return
		}
	}
	warnf("mirror sync failed, testing the mirror as it is: %v", err)
}
