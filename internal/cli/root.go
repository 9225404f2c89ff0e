package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/buildinfo"
)

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "recipe-test",
		Short: "Test Co-op Cloud recipes on a real Docker Swarm",
		Long: `recipe-test tests a Co-op Cloud recipe the way its users deploy it: it
installs the recipe on a Docker Swarm, upgrades it from its previous release,
backs it up and restores it with its data intact, runs the recipe's own
functional and browser tests, and tears everything down, proving that nothing
was left behind. Results go to JUnit XML, a results JSON and a Markdown report.

Exit codes: 0 everything passed; 1 a stage failed or something was left
behind; 2 usage or configuration error (nothing was deployed).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version on the root command: `docker run IMAGE --version`
		// answers without a subcommand.
		Version: buildinfo.Version(),
	}
	root.SetVersionTemplate(versionLine())
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newRunCmd(), newInspectCmd(), newReportCmd(), newParityCmd(), newListCmd(), newChangedCmd(), newEnrollCmd(), newMirrorCmd(), newLintCmd(), newActionCmd(), newPublishCmd(), newJanitorCmd(), newTeardownCmd(), newVersionCmd())
	root.AddCommand(newDashboardCmd())
	registerCompletions(root)
	return root
}

// exactArgs is cobra.ExactArgs with our usage exit code.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
