package cli

import (
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/exitcode"
)

// Exit codes, documented in the README (see exitcode).
const (
	exitOK     = exitcode.OK
	exitFailed = exitcode.Failed
	exitConfig = exitcode.Input
)

// usageError marks a bad command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }
func (e usageError) ExitCode() int { return exitcode.Input }

// failedError marks a run that completed but whose checks failed.
type failedError struct{ error }

func (e failedError) Unwrap() error { return e.error }
func (e failedError) ExitCode() int { return exitcode.Failed }

// exitCode is the code err calls for: each error type carries its own
// (exitcode.Coder), read here once.
func exitCode(err error) int { return exitcode.Of(err) }

// cobraUsage recognises the usage errors cobra makes itself (an unknown
// command, a missing argument), which it returns as plain errors.
func cobraUsage(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command ", "unknown flag", "unknown shorthand flag", "required flag(s) ", "accepts ", "requires at least ", "requires at most ", "invalid argument "} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}
