package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/lint"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// lintDomain resolves the recipe for linting when nothing is deployed.
const lintDomain = "lint-000000.recipe-test.test"

func newLintCmd() *cobra.Command {
	var ref string
	var cloneTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "lint PATH|GIT-URL",
		Short: "Check a recipe against abra's lint rules and ours (the lint stage, without a swarm)",
		Long: `Check a recipe from a folder or a git URL at a ref against Co-op Cloud's
conventions, as the run's lint stage does, without deploying anything or
needing a swarm: abra's recipe lint rules R001-R015 at abra's levels, then
ours. One line per rule: pass, skip (with why), warning or error, abra's id
(or "ours"), the rule, what broke it and how to fix it. Rules that need the
network (abra's catalogue, git.coopcloud.tech) are skipped. Exits 1 when any
error-level rule fails (the recipe is not lint clean, L5), 2 on a recipe
that cannot be loaded, after reporting the rules that read its files.`,
		Example: `  recipe-test lint testdata/recipes/example
  recipe-test lint https://git.coopcloud.tech/coop-cloud/custom-html.git --ref 1.0.0+1.25.1`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			work, err := os.MkdirTemp("", "recipe-test-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(work)
			cctx, cancel := context.WithTimeout(cmd.Context(), cloneTimeout)
			defer cancel()
			src, err := recipe.Fetch(cctx, args[0], ref, work)
			if err != nil {
				return cloneTimedOut(cmd.Context(), cctx, cloneTimeout, err)
			}
			in := lint.Load(src, lintDomain)
			rep := lint.Check(in)
			if err := printLint(cmd.OutOrStdout(), rep, placeholders()); err != nil {
				return err
			}
			name := args[0]
			if in.Recipe != nil {
				name = in.Recipe.Name
			}
			errs, warns := len(rep.Failed(lint.Error)), len(rep.Failed(lint.Warning))
			summary := fmt.Sprintf("%s: %d errors, %d warnings", name, errs, warns)
			if in.Err != nil {
				summary += "; it does not load, so the rules that need it were not checked"
			}
			fmt.Fprintln(cmd.OutOrStdout(), summary)
			switch {
			case in.Err != nil:
				// The recipe cannot be deployed: exit 2, as for any
				// recipe that does not load, once what could be checked
				// is reported.
				return in.Err
			case errs > 0:
				return failedError{fmt.Errorf("%s is not lint clean: %d error-level rules failed", name, errs)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&ref, "ref", "", "git branch, tag or commit to check (default: the working tree of a local folder, or the default branch of a URL)")
	cloneTimeoutFlag(cmd.Flags(), &cloneTimeout)
	return cmd
}

// printLint writes one line per rule: verdict, abra's id or "ours", the
// rule, and what broke it with the fix, or why it was skipped.
func printLint(out io.Writer, rep lint.Report, names *strings.Replacer) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, res := range rep.Results {
		verdict, detail := string(res.Status), ""
		switch res.Status {
		case lint.Skip:
			detail = res.Reason
		case lint.Fail:
			verdict = string(res.Rule.Severity)
			detail = strings.Join(res.Findings, "; ") + " (fix: " + res.Rule.Fix + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", verdict, res.Rule.Ref(), res.Rule.ID, names.Replace(detail))
	}
	return w.Flush()
}

// placeholders shows the names lint resolved the recipe under as the
// recipe writes them: lint deploys nothing, so its stack and domain are
// stand-ins that would only puzzle a reader.
func placeholders() *strings.Replacer {
	stack := naming.StackName(lintDomain)
	return strings.NewReplacer(stack, "${STACK_NAME}", lintDomain, "${DOMAIN}")
}
