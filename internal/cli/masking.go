package cli

import (
	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

// publishMasker returns the final redaction pass for what goes to the
// forge (the comment, the statuses): the options' Redact values (the
// token) and every secret the run announces through OnSecret, which it
// chains in front of the caller's (the Actions log's masking).
func publishMasker(o *runner.Options) *redact.Redactor {
	red := &redact.Redactor{}
	red.Add(o.Output.Redact...)
	next := o.Hooks.OnSecret
	o.Hooks.OnSecret = func(v string) {
		red.Add(v)
		if next != nil {
			next(v)
		}
	}
	return red
}
