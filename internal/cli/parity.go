package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

func newParityCmd() *cobra.Command {
	var dir string
	var check bool
	cmd := &cobra.Command{
		Use:   "parity NAME [--check]",
		Short: "Generate an enrolled recipe's PARITY.md from its recipe.toml",
		Long: `Write recipes/NAME/PARITY.md from the [[parity]] rows of recipes/NAME/recipe.toml:
one row per upstream test with our test, what it verifies and its status
(ported, deferred with a technical reason, or not applicable with a reason).

With --check nothing is written: the command fails when PARITY.md differs
from what recipe.toml generates, or when a ported row names a Go test that
the recipe's test files do not define.`,
		Example: `  recipe-test parity example
  recipe-test parity example --check`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			e, ok, err := enrollment.Find(dir, name)
			if err != nil {
				return err
			}
			if !ok {
				return usageError{&recipe.ConfigError{File: filepath.Join(dir, name, enrollment.FileName), Msg: "not found: no enrolled recipe of that name"}}
			}
			if check {
				if err := e.CheckParity(name); err != nil {
					return failedError{err}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: up to date\n", filepath.Join(e.Dir, enrollment.ParityFile))
				return nil
			}
			path := filepath.Join(e.Dir, enrollment.ParityFile)
			if err := os.WriteFile(path, []byte(e.ParityMarkdown(name)), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", path)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "recipes-dir", enrollment.DefaultRecipesDir(), "folder of enrolled recipes (default $RECIPE_TEST_RECIPES, else ./recipes)")
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; fail when PARITY.md is stale or names a missing test")
	return cmd
}
