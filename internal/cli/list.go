package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
)

// listed is one enrolled recipe as `recipe-test list --json` prints it: what
// a scheduled workflow's matrix needs to test it.
type listed struct {
	Name       string   `json:"name"`
	Upstream   string   `json:"upstream,omitempty"`
	Mirror     string   `json:"mirror,omitempty"`
	Path       string   `json:"path,omitempty"`
	Ref        string   `json:"ref,omitempty"`
	Enrollment string   `json:"enrollment"` // its folder
	Requires   []string `json:"requires,omitempty"`
	Stages     []string `json:"stages,omitempty"`
	// Unverified says why the suite has not run against the real app yet.
	Unverified string `json:"unverified,omitempty"`
}

func newListCmd() *cobra.Command {
	var dir, ghOutput string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the enrolled recipes",
		Long: `List the recipes enrolled in the recipes folder (recipes/<name>/recipe.toml):
each one's name, where it is fetched from, and the recipes it requires.
With --json, an array a workflow's matrix can use (for a scheduled run that
tests every enrolled recipe). A recipe.toml that does not load fails the
command, naming it.`,
		Example: `  recipe-test list
  recipe-test list --json | jq -c '[.[].name]'
  recipe-test list --github-output recipes   # in a workflow step: fromJSON(steps.ID.outputs.recipes)`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			es, err := enrollment.List(dir)
			if err != nil {
				return usageError{err}
			}
			out := []listed{}
			for _, e := range es {
				l := listed{Name: e.Name(), Upstream: e.Recipe.Upstream, Mirror: e.Recipe.Mirror, Path: e.Recipe.Path,
					Ref: e.Recipe.Ref, Enrollment: e.Dir, Stages: e.Stages, Unverified: e.Recipe.Unverified}
				for _, r := range e.Requires {
					l.Requires = append(l.Requires, r.Name)
				}
				out = append(out, l)
			}
			if ghOutput != "" {
				if err := writeGitHubOutput(os.Getenv, ghOutput, out); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			for _, l := range out {
				from := l.Upstream
				if from == "" {
					from = l.Path
				}
				line := fmt.Sprintf("%-20s %s", l.Name, from)
				if len(l.Requires) > 0 {
					line += " (requires " + strings.Join(l.Requires, ", ") + ")"
				}
				if l.Unverified != "" {
					line += " [unverified here]"
				}
				fmt.Fprintln(w, line)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "recipes-dir", enrollment.DefaultRecipesDir(), "folder of enrolled recipes (default $RECIPE_TEST_RECIPES, else ./recipes)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	githubOutputFlag(cmd.Flags(), &ghOutput)
	return cmd
}
