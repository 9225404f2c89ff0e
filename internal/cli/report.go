package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// renderers are the formats `report` and the run's outputs share.
var renderers = map[string]func(io.Writer, *results.Run) error{
	"markdown": report.Markdown,
	"junit":    report.JUnit,
	"json":     report.JSON,
}

func newReportCmd() *cobra.Command {
	var from, format string
	cmd := &cobra.Command{
		Use:   "report --from results.json [--format markdown|junit|json]",
		Short: "Re-render a saved run's results as Markdown, JUnit or JSON",
		Long: `Read a results.json written by "recipe-test run" and print it in another
format on stdout: markdown (the PR comment and step summary), junit, or json.
Every format is rendered from the same results model as the run's own files.`,
		Example: `  recipe-test report --from recipe-test-results/results.json > comment.md
  recipe-test report --from results.json --format junit > junit.xml`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			render, ok := renderers[format]
			if !ok {
				return usageError{fmt.Errorf("--format %q: use markdown, junit or json", format)}
			}
			if from == "" {
				return usageError{fmt.Errorf("--from is required: the results.json of a run")}
			}
			run, err := report.ReadJSON(from)
			if err != nil {
				return usageError{err}
			}
			return render(cmd.OutOrStdout(), run)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the results.json to render (required)")
	cmd.Flags().StringVar(&format, "format", "markdown", "output format: markdown, junit or json")
	return cmd
}
