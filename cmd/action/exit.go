package main

import (
	"errors"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Exit codes, documented in the README.
const (
	exitOK     = 0 // everything passed
	exitFailed = 1 // a stage failed, or something was left behind
	exitConfig = 2 // usage or configuration error: nothing was deployed
)

// usageError marks a bad command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// failedError marks a run that completed but whose checks failed.
type failedError struct{ error }

func (e failedError) Unwrap() error { return e.error }

func exitCode(err error) int {
	var ue usageError
	var fe failedError
	switch {
	case errors.As(err, &fe):
		return exitFailed
	case errors.As(err, &ue), recipe.IsInputError(err):
		return exitConfig
	}
	return exitFailed
}

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
