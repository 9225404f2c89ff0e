package cli

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/janitor"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

func newJanitorCmd() *cobra.Command {
	var o janitor.Options
	var suffix string
	var nodes runner.Nodes
	cmd := &cobra.Command{
		Use:   "janitor",
		Short: "Reap what killed runs left behind on the swarm",
		Long: `Remove orphaned run stacks, with their volumes, secrets, configs and
networks. Only stacks whose names match the run-scoped pattern
"<abbrev>-<6 hex>_<suffix>", that carry the recipe-test run label, that are
older than the grace period and that no live run holds (by its lock) are
touched; anything else on the swarm is left alone. The run budget tickets
of dead runs (their lease expired or is gone) are removed too. Every run
does this at its start too.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if suffix != "" {
				o.Match = janitor.SuffixMatcher(suffix)
			}
			o.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelInfo}))
			c, err := connectNodes(cmd.Context(), o.Log, nodes)
			if err != nil {
				return err
			}
			defer c.Close()
			rep, err := janitor.Run(cmd.Context(), c, o)
			verb := "reaped"
			if o.DryRun {
				verb = "would reap"
			}
			for _, s := range rep.Reaped {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", verb, s.Stack)
			}
			for _, s := range rep.Skipped {
				fmt.Fprintf(cmd.OutOrStdout(), "kept %s: %s\n", s.Stack, s.Reason)
			}
			removed := "removed"
			if o.DryRun {
				removed = "would remove"
			}
			for _, t := range rep.Tickets {
				fmt.Fprintf(cmd.OutOrStdout(), "%s the run budget ticket of %s (stack %s): its run is dead\n", removed, t, t.Stack)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.DryRun, "dry-run", false, "only report what would be reaped")
	f.DurationVar(&o.Grace, "grace", 3*time.Hour, "leave run stacks younger than this alone, unless their run's lease expired (the run is dead)")
	f.DurationVar(&o.LeaseSkew, "lease-skew", janitor.DefaultLeaseSkew, "a run's lease still counts as live this long past its expiry (runners' clocks may disagree)")
	f.StringVar(&suffix, "domain-suffix", "", "only consider run stacks under this domain suffix (default: all)")
	f.StringVar(&o.LockDir, "lock-dir", "", "folder of run locks (default $RECIPE_TEST_LOCK_DIR, /run/recipe-test/locks or the temp folder)")
	registerNodeFlag(f, &nodes)
	return cmd
}

func newTeardownCmd() *cobra.Command {
	var nodes runner.Nodes
	cmd := &cobra.Command{
		Use:   "teardown STACK",
		Short: "Remove a retained run stack and verify nothing is left",
		Long: `Remove one stack kept by "recipe-test run --retain": its services, then,
once their containers are gone, its networks, volumes, secrets and configs;
then list anything still carrying the stack's namespace. Exits 1 and lists
the residue when anything is left.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connectNodes(cmd.Context(), nil, nodes)
			if err != nil {
				return err
			}
			defer c.Close()
			stack := args[0]
			progress := func(m string) { fmt.Fprintln(cmd.ErrOrStderr(), m) }
			rmErr := c.Remove(cmd.Context(), stack, progress)
			left, err := c.Inventory(cmd.Context(), stack)
			if err != nil {
				return err
			}
			if len(left) > 0 {
				names := make([]string, len(left))
				for i, r := range left {
					names[i] = r.String()
				}
				return failedError{fmt.Errorf("left behind: %s", strings.Join(names, ", "))}
			}
			if rmErr != nil {
				return failedError{rmErr}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s: nothing left\n", stack)
			return nil
		},
	}
	registerNodeFlag(cmd.Flags(), &nodes)
	return cmd
}
