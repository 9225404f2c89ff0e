package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/buildinfo"
	"github.com/cc-ci/recipe-test/v2/internal/dashboard"
	"github.com/cc-ci/recipe-test/v2/internal/report"
)

func newDashboardCmd() *cobra.Command {
	var from, fromGit []string
	var out, title string
	cmd := &cobra.Command{
		Use:   "dashboard --from DIR [--from-git REPO:REF[:PATH]] --out SITE",
		Short: "Build a static site of many runs: levels, history, last reports and badges",
		Long: `Read every results.json under the --from folders (downloaded artifacts, a
checkout of a history) and in the trees of the --from-git refs (a history kept in
a branch, read without a checkout), and write a static site into --out:
index.html, a table of the recipes with the level, verdict, date, duration and
run link of each one's last run; recipes/<recipe>.html, its history (a level
chart and a table of its runs) and its last report; badges/<recipe>.svg, its
level badge for READMEs. Every link is relative, so the site works under any
sub-path (GitHub or Gitea Pages).

A file that cannot be read or is not a run is skipped and named on stderr and
on the index; a source that does not exist, or sources without a single run,
are an error (exit 2).`,
		Example: `  recipe-test dashboard --from artifacts --out site
  recipe-test dashboard --from-git .:origin/recipe-test-history --out site`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(from) == 0 && len(fromGit) == 0 {
				return usageError{fmt.Errorf("--from or --from-git is required: where the results.json files are")}
			}
			if out == "" {
				return usageError{fmt.Errorf("--out is required: the folder to write the site into")}
			}
			var gits []dashboard.GitSource
			for _, s := range fromGit {
				g, err := dashboard.ParseGitSource(s)
				if err != nil {
					return usageError{fmt.Errorf("--from-git: %w", err)}
				}
				gits = append(gits, g)
			}
			ctx := cmd.Context()
			var loaded dashboard.Loaded
			for _, dir := range from {
				if err := dashboard.LoadDir(ctx, dir, &loaded); err != nil {
					return usageError{fmt.Errorf("--from: %w", err)}
				}
			}
			for _, g := range gits {
				if err := dashboard.LoadGit(ctx, g, &loaded); err != nil {
					return usageError{fmt.Errorf("--from-git: %w", err)}
				}
			}
			for _, p := range loaded.Problems {
				fmt.Fprintf(cmd.ErrOrStderr(), "recipe-test: dashboard: skipped %s\n", p.Error())
			}
			sum, err := dashboard.Build(ctx, out, &loaded, dashboard.Options{Title: title, Built: time.Now(), ToolVersion: buildinfo.Version()})
			if err != nil {
				return usageError{err}
			}
			n := func(k int, one, many string) string { return fmt.Sprintf("%d %s", k, report.Plural(k, one, many)) }
			fmt.Fprintf(cmd.OutOrStdout(), "dashboard: %s, %s, %s skipped: %s\n", n(sum.Recipes, "recipe", "recipes"),
				n(sum.Runs, "run", "runs"), n(len(loaded.Problems), "file", "files"), filepath.Join(out, dashboard.IndexFile))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&from, "from", nil, "a folder to read every results.json under (repeatable)")
	cmd.Flags().StringArrayVar(&fromGit, "from-git", nil, "REPO:REF[:PATH]: the results.json files in a ref's tree, under PATH (repeatable)")
	cmd.Flags().StringVar(&out, "out", "", "the folder to write the site into (required)")
	cmd.Flags().StringVar(&title, "title", "", `the index's heading (default "recipe-test dashboard")`)
	return cmd
}
