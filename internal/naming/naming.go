// Package naming derives the run-scoped names every deployer shares: the
// run's domain, the stack name abra would give it, and Docker's limits on
// the names of the resources a stack creates.
package naming

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
)

const (
	// MaxStackName is abra's limit on a sanitised app name: longer stack
	// names are cut, as abra cuts them, to keep resource names in bounds.
	MaxStackName = 45
	// MaxObjectName is swarm's limit on secret and config names.
	MaxObjectName = 64
	// MaxServiceName is swarm's limit on a service name (a DNS label), which
	// for a stack is "<stack>_<service>".
	MaxServiceName = 63
	// MaxAbbrev is the longest recipe abbreviation in a run domain.
	MaxAbbrev = 4
	// DefaultSuffix is the domain suffix when none is configured: .test is
	// reserved (RFC 2606) and never resolves on the internet.
	DefaultSuffix = "recipe-test.test"
)

// runStackRe matches the stack of a run-scoped domain: "<abbrev>-<6 hex>_"
// followed by the suffix with its dots turned into underscores.
var runStackRe = regexp.MustCompile(`^[a-z0-9]{1,4}-[0-9a-f]{6}(_[a-z0-9-]+)+$`)

// Abbrev returns at most MaxAbbrev lower-case letters and digits taken from
// the start of the recipe name ("bonfire" -> "bonf", "go-ssb-room" -> "goss").
func Abbrev(recipe string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(recipe) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			if b.Len() == MaxAbbrev {
				break
			}
		}
	}
	if b.Len() == 0 {
		return "app"
	}
	return b.String()
}

// NewRunID returns 6 random hex digits read from r (crypto/rand when nil).
func NewRunID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [3]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("generate run id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Domain returns the run-scoped domain "<abbrev>-<id>.<suffix>".
func Domain(recipe, id, suffix string) (string, error) {
	if suffix == "" {
		suffix = DefaultSuffix
	}
	d := fmt.Sprintf("%s-%s.%s", Abbrev(recipe), id, strings.Trim(strings.ToLower(suffix), "."))
	if err := ValidDomain(d); err != nil {
		return "", err
	}
	return d, nil
}

var labelRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidDomain checks that d is a lower-case DNS name.
func ValidDomain(d string) error {
	if d == "" || len(d) > 253 {
		return fmt.Errorf("domain %q: must be 1 to 253 characters", d)
	}
	for _, l := range strings.Split(d, ".") {
		if !labelRe.MatchString(l) {
			return fmt.Errorf("domain %q: label %q is not a lower-case DNS label", d, l)
		}
	}
	return nil
}

// StackName derives the stack name from a domain as abra does: dots become
// underscores and the result is cut to MaxStackName characters.
func StackName(domain string) string {
	s := strings.ReplaceAll(domain, ".", "_")
	if len(s) > MaxStackName {
		s = s[:MaxStackName]
	}
	return s
}

// IsRunStack reports whether a stack name has the shape of one of our
// run-scoped stacks. The janitor touches nothing else.
func IsRunStack(stack string) bool {
	return runStackRe.MatchString(stack)
}

// objectNameRe is swarm's rule for secret and config names.
var objectNameRe = regexp.MustCompile(`^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$`)

// CheckObjectName checks a secret or config name against swarm's rules.
func CheckObjectName(kind, name string) error {
	if len(name) > MaxObjectName {
		return fmt.Errorf("%s name %q is %d characters, over swarm's limit of %d", kind, name, len(name), MaxObjectName)
	}
	if !objectNameRe.MatchString(name) {
		return fmt.Errorf("%s name %q is invalid: swarm allows [a-zA-Z0-9-_.], starting and ending with a letter or digit", kind, name)
	}
	return nil
}

// CheckServiceName checks a stack service's full name "<stack>_<service>".
func CheckServiceName(full string) error {
	if len(full) > MaxServiceName {
		return fmt.Errorf("service name %q is %d characters, over swarm's limit of %d", full, len(full), MaxServiceName)
	}
	return nil
}
