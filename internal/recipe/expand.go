package recipe

import "strings"

// expand substitutes $NAME, ${NAME}, ${NAME:-default} and ${NAME-default}
// with earlier assignments of the same file; an unknown name expands to "".
// `\$` is a literal dollar. Nothing is ever executed: `$(...)` is kept as text.
func (p *envParser) expand(s string, lineNo int, key string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		// Checked as it grows: one line referring to a large value many
		// times must fail before it is built.
		if p.expanded+b.Len() > MaxEnvSize {
			return "", p.tooLarge(lineNo, key)
		}
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if s[i+1] == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", p.errf(lineNo, key, "unterminated ${ in %q", clip(s))
			}
			expr := s[i+2 : i+2+end]
			val, err := p.lookupExpr(expr, lineNo, key)
			if err != nil {
				return "", err
			}
			b.WriteString(val)
			i += 2 + end
			continue
		}
		j := i + 1
		for j < len(s) && isNameByte(s[j], j == i+1) {
			j++
		}
		if j == i+1 {
			b.WriteByte(c) // a lone dollar, or $( which we never run
			continue
		}
		b.WriteString(p.env[s[i+1:j]])
		i = j - 1
	}
	return b.String(), nil
}

func (p *envParser) lookupExpr(expr string, lineNo int, key string) (string, error) {
	name, def, hasDef := expr, "", false
	colon := false
	if k := strings.IndexAny(expr, ":-"); k >= 0 {
		name = expr[:k]
		rest := expr[k:]
		switch {
		case strings.HasPrefix(rest, ":-"):
			def, hasDef, colon = rest[2:], true, true
		case strings.HasPrefix(rest, "-"):
			def, hasDef = rest[1:], true
		default:
			return "", p.errf(lineNo, key, "unsupported expansion ${%s}", clip(expr))
		}
	}
	if !envNameRe.MatchString(name) {
		return "", p.errf(lineNo, key, "invalid variable name in ${%s}", clip(expr))
	}
	val, ok := p.env[name]
	if hasDef && (!ok || (colon && val == "")) {
		return def, nil
	}
	return val, nil
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'):
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}
