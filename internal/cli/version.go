package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/buildinfo"
)

// versionLine is what both `recipe-test version` and `recipe-test
// --version` print.
func versionLine() string { return "recipe-test " + buildinfo.Version() + "\n" }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the recipe-test version",
		Long:  "Print the version of this recipe-test binary (git describe of the commit it was built from).",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), versionLine())
			return err
		},
	}
}
