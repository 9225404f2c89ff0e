// Package cli is the recipe-test command: its cobra commands, Actions mode
// (recipe-test action), flags, signals and exit codes. The binaries are
// cmd/recipe-test (what `go install` names recipe-test) and cmd/action
// (what the action image builds as recipe-test), each a call of Main.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/cc-ci/recipe-test/v2/internal/workflowcmd"
)

// Main runs recipe-test with the process's arguments and exits with its
// exit code.
func Main() {
	ctx, cancel := context.WithCancel(context.Background())
	stop := cancelOnSignal(cancel, os.Stderr, underRunner(os.Args[1:]))
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	cancel()
	os.Exit(code)
}

// run executes the CLI and maps the outcome to the documented exit codes:
// 0 success, 1 a check failed, 2 usage or configuration error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "action" || os.Getenv("GITHUB_ACTIONS") == "true" {
		// In an Actions log, stderr (progress, logs, the final error)
		// quotes recipe strings and app output: none of it may pass for a
		// workflow command, whichever command runs. stdout carries the
		// action's own commands (runAction) or a command's data.
		stderr = workflowcmd.Writer(stderr)
	}
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if cobraUsage(err) {
		code = exitConfig // cobra's own usage errors carry no type
	}
	fmt.Fprintf(stderr, "recipe-test: %v\n", err)
	return code
}
