package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/changes"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
)

func newChangedCmd() *cobra.Command {
	var dir, base, ghOutput string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "changed --base REF [--json]",
		Short: "List the enrolled recipes a change touches",
		Long: `List the enrolled recipes the current branch changed since it left REF (as
git diff REF...HEAD): those whose folder (recipes/<name>/) holds a changed
file, those that require one of them, and every one when a file they share
changed (code, fixtures); documentation alone touches none. With --json, an
array of names for a workflow's matrix (chart-testing's list-changed). The
checkout needs REF's history: actions/checkout with fetch-depth: 0.`,
		Example: `  recipe-test changed --base main
  recipe-test changed --base origin/main --json
  recipe-test changed --base main --github-output recipes   # in a workflow step`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if base == "" {
				return usageError{fmt.Errorf("--base is required (the branch the change goes into, e.g. main)")}
			}
			root, err := changes.Root(dir)
			if err != nil {
				return usageError{err}
			}
			es, err := enrollment.List(dir)
			if err != nil {
				return usageError{err}
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, abs)
			if err != nil {
				return err
			}
			var recipes []changes.Recipe
			for _, e := range es {
				r := changes.Recipe{Name: e.Name(), Dir: filepath.ToSlash(filepath.Join(rel, filepath.Base(e.Dir)))}
				for _, q := range e.Requires {
					r.Requires = append(r.Requires, q.Name)
				}
				recipes = append(recipes, r)
			}
			files, err := changes.Files(root, base)
			if err != nil {
				return usageError{err}
			}
			names, why := changes.Affected(files, recipes, filepath.ToSlash(rel))
			if names == nil {
				names = []string{} // [] for a matrix, not null
			}
			if ghOutput != "" {
				if err := writeGitHubOutput(os.Getenv, ghOutput, names); err != nil {
					return err
				}
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(names)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d changed files since %s: %s\n", len(files), base, why)
			for _, n := range names {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&base, "base", "", "the branch or commit the change goes into")
	cmd.Flags().StringVar(&dir, "recipes-dir", enrollment.DefaultRecipesDir(), "folder of enrolled recipes (default $RECIPE_TEST_RECIPES, else ./recipes)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of names")
	githubOutputFlag(cmd.Flags(), &ghOutput)
	return cmd
}
