package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// plainName is a recipe name that is a safe, stable file name as it is:
// what Co-op Cloud's recipe names are (lowercase letters, digits, '-',
// '_' and '.'), not starting with a dot, not too long.
var plainName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// Slug is the file name of a recipe's page and badge (recipes/<slug>.html,
// badges/<slug>.svg): the name itself when it is a plain recipe name, so a
// README can link its badge by name; else the name's plain characters and
// a hash of the whole, so two names never share a file.
func Slug(name string) string {
	if plainName.MatchString(name) {
		return name
	}
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	sum := sha256.Sum256([]byte(name))
	prefix := strings.Trim(b.String(), "-")
	if prefix == "" {
		prefix = "recipe"
	}
	return prefix + "-" + hex.EncodeToString(sum[:4])
}
