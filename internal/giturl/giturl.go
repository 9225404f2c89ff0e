// Package giturl tells a git URL from a local path: the one rule by which
// a recipe's location, an enrollment's upstream and a workspace path are
// fetched from a remote or read from a folder.
package giturl

import (
	"regexp"
	"strings"
)

// schemes are the URL schemes recipe-test fetches over.
var schemes = []string{"https://", "http://", "ssh://", "git://", "file://"}

// scpLike is git's scp-like syntax: user@host:path.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:`)

// Is reports whether location is a git URL: one of the schemes above (in
// any case), or user@host:path. Anything else is a local path.
func Is(location string) bool {
	lower := strings.ToLower(location)
	for _, scheme := range schemes {
		if strings.HasPrefix(lower, scheme) {
			return true
		}
	}
	return scpLike.MatchString(location)
}
