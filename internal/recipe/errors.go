package recipe

import (
	"errors"
	"fmt"

	"github.com/cc-ci/recipe-test/v2/internal/exitcode"
)

// ConfigError is a problem with the recipe's own files: it names the file, the
// line when there is one, and what is wrong. The CLI maps it to exit code 2.
type ConfigError struct {
	File string // path relative to the recipe root, or absolute when outside it
	Line int    // 1-based; 0 when the problem is not tied to one line
	Key  string // the variable, key, service or resource concerned, if any
	Msg  string
	Err  error // underlying cause, if any
}

func (e *ConfigError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	msg := e.Msg
	if e.Key != "" {
		msg = fmt.Sprintf("%s: %s", e.Key, e.Msg)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", loc, msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", loc, msg)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ExitCode makes it an exitcode.Coder: bad input, nothing was deployed.
func (e *ConfigError) ExitCode() int { return exitcode.Input }

// IsConfigError reports whether err is, or wraps, a *ConfigError.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

// IsInputError reports whether err is the user's input's fault: a bad
// recipe file, a recipe that cannot be found, or a ref it does not have.
// The CLI maps these to exit code 2; nothing was deployed.
func IsInputError(err error) bool {
	return IsConfigError(err) || errors.Is(err, ErrRepositoryNotFound) || errors.Is(err, ErrRefNotFound)
}
