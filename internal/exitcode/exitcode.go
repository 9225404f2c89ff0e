// Package exitcode holds the command's exit codes and reads them from
// errors. An error that calls for a code says so itself, where it is
// defined (Coder: recipe.ConfigError, runner.PlanError, enroll.InputError,
// the command's usage errors); the command reads it in one place (Of).
package exitcode

import "errors"

// The exit codes, documented in the README.
const (
	OK     = 0 // everything passed
	Failed = 1 // a stage failed, or something was left behind
	Input  = 2 // usage or configuration error: nothing was deployed
)

// Coder is an error that knows the exit code it calls for.
type Coder interface {
	error
	ExitCode() int
}

// Of returns the exit code err calls for: OK for nil, the code of the
// first Coder in its chain (errors.As order: outermost first), else Failed.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return Failed
}
