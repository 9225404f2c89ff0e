package janitor

import (
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
)

// SuffixMatcher returns a Match that accepts only the stacks of run domains
// "<abbrev>-<id>.<suffix>" (naming.DefaultSuffix when suffix is ""), so
// runners sharing a swarm under different suffixes never reap each other's
// stacks. It rebuilds the stack name from the domain, so a stack name cut
// at naming.MaxStackName still matches.
func SuffixMatcher(suffix string) func(stack string) bool {
	if suffix == "" {
		suffix = naming.DefaultSuffix
	}
	suffix = strings.Trim(strings.ToLower(suffix), ".")
	return func(stack string) bool {
		run, _, ok := strings.Cut(stack, "_")
		return ok && naming.StackName(run+"."+suffix) == stack
	}
}
