package ingress

import (
	"fmt"
	"regexp"
	"strings"
)

// What a template variable without a pattern matches.
const (
	hostPart = `[^.]+`
	pathPart = `[^/]+`
)

// templateRegexp turns a traefik v2 template ("{sub}.example.com",
// "/items/{id:[0-9]+}") into an anchored regexp; a variable without a
// pattern matches one label or segment (def).
func templateRegexp(tmpl, def string, prefix bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if def == hostPart {
		b.WriteString("(?i)") // hosts are case-insensitive, paths are not
	}
	b.WriteString("^")
	for i := 0; i < len(tmpl); {
		if tmpl[i] != '{' {
			j := strings.IndexByte(tmpl[i:], '{')
			if j < 0 {
				j = len(tmpl) - i
			}
			b.WriteString(regexp.QuoteMeta(tmpl[i : i+j]))
			i += j
			continue
		}
		depth, j := 0, i
		for ; j < len(tmpl); j++ {
			if tmpl[j] == '{' {
				depth++
			} else if tmpl[j] == '}' {
				depth--
			}
			if depth == 0 {
				break
			}
		}
		if j == len(tmpl) {
			return nil, fmt.Errorf("template %q: unbalanced braces", tmpl)
		}
		pat := def
		if _, p, ok := strings.Cut(tmpl[i+1:j], ":"); ok {
			pat = p
		}
		b.WriteString("(?:" + pat + ")")
		i = j + 1
	}
	if !prefix {
		b.WriteString("$")
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", tmpl, err)
	}
	return re, nil
}
