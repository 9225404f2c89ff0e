package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/lint"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// lintDomain resolves the recipe for linting when nothing is deployed.
const lintDomain = "lint-000000.recipe-test.test"

func newLintCmd() *cobra.Command {
	var ref string
	cmd := &cobra.Command{
		Use:   "lint PATH|GIT-URL",
		Short: "Check a recipe against Co-op Cloud's conventions (the lint stage, without a swarm)",
		Long: `Check a recipe from a folder or a git URL at a ref against Co-op Cloud's
conventions, as the run's lint stage does, without deploying anything or
needing a swarm: one line per rule, pass, skip, warning or error, with what
broke it and how to fix it. Exits 1 when any error-level rule fails (the
recipe is not lint clean, L5), 2 on a recipe that cannot be loaded.`,
		Example: `  recipe-test lint testdata/recipes/example
  recipe-test lint https://git.coopcloud.tech/coop-cloud/custom-html.git --ref 1.0.0+1.25.1`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, done, err := openRecipe(cmd.Context(), args[0], ref)
			if err != nil {
				return err
			}
			defer done()
			app, err := r.Resolve(recipe.ResolveOptions{Domain: lintDomain})
			if err != nil {
				return err
			}
			rep := lint.Check(&lint.Input{Recipe: r, App: app})
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			for _, res := range rep.Results {
				verdict, detail := string(res.Status), ""
				switch res.Status {
				case lint.Skip:
					detail = res.Reason
				case lint.Fail:
					verdict = string(res.Rule.Severity)
					detail = strings.Join(res.Findings, "; ") + " (fix: " + res.Rule.Fix + ")"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", verdict, res.Rule.ID, detail)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			errs, warns := len(rep.Failed(lint.Error)), len(rep.Failed(lint.Warning))
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d errors, %d warnings\n", r.Name, errs, warns)
			if errs > 0 {
				return failedError{fmt.Errorf("%s is not lint clean: %d error-level rules failed", r.Name, errs)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&ref, "ref", "", "git branch, tag or commit to check (default: the working tree of a local folder, or the default branch of a URL)")
	return cmd
}
