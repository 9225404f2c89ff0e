package recipe

import (
	"fmt"
	"regexp"
	"strings"
)

// EnvVar is one assignment in an env file such as .env.sample.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Line  int    `json:"line"`
	// Modifiers are the `key=value` words of the trailing comment, as abra reads
	// them: `SECRET_X_VERSION=v1 # length=64 charset=hex`.
	Modifiers map[string]string `json:"modifiers,omitempty"`
}

// EnvFile is a parsed env file. Active assignments are in Vars, in file order;
// a later assignment of the same name wins, and may refer to earlier ones
// (`COMPOSE_FILE="$COMPOSE_FILE:compose.x.yml"`). Commented-out assignments
// (`#COMPOSE_FILE="$COMPOSE_FILE:compose.y.yml"`) are the recipe's optional
// settings: they are kept in Optional, unexpanded, and never take effect.
type EnvFile struct {
	File     string   `json:"file"`
	Vars     []EnvVar `json:"vars"`
	Optional []EnvVar `json:"optional,omitempty"`
}

// Map returns the effective values: the last assignment of each name.
func (e *EnvFile) Map() map[string]string {
	m := make(map[string]string, len(e.Vars))
	for _, v := range e.Vars {
		m[v.Name] = v.Value
	}
	return m
}

// Lookup returns the last active assignment of name.
func (e *EnvFile) Lookup(name string) (EnvVar, bool) {
	for i := len(e.Vars) - 1; i >= 0; i-- {
		if e.Vars[i].Name == name {
			return e.Vars[i], true
		}
	}
	return EnvVar{}, false
}

var (
	envNameRe        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	optionalAssignRe = regexp.MustCompile(`^#+\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$`)
)

// ParseEnv parses an env file the way abra reads an app's .env: blank lines
// and `#` comments are skipped; `export ` prefixes are allowed; values may be
// unquoted (a ` #` starts a comment), 'single-quoted' (literal) or
// "double-quoted" (escapes and $VAR / ${VAR} / ${VAR:-default} expansion of
// earlier assignments, and may span lines). Nothing is executed and the
// process environment is never consulted. file names the file in errors.
func ParseEnv(file string, data []byte) (*EnvFile, error) {
	return parseEnvAfter(file, data, nil)
}

// parseEnvAfter parses data as if it followed the assignments in prior.
func parseEnvAfter(file string, data []byte, prior map[string]string) (*EnvFile, error) {
	p := &envParser{file: file, lines: strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), env: map[string]string{}}
	for k, v := range prior {
		p.env[k] = v
	}
	out := &EnvFile{File: file}
	for p.i < len(p.lines) {
		lineNo := p.i + 1
		raw := p.lines[p.i]
		p.i++
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if m := optionalAssignRe.FindStringSubmatch(line); m != nil {
				val, mods := splitUnquoted(m[2])
				out.Optional = append(out.Optional, EnvVar{Name: m[1], Value: trimQuotes(val), Line: lineNo, Modifiers: mods})
			}
			continue
		}
		v, err := p.assignment(line, lineNo)
		if err != nil {
			return nil, err
		}
		if p.expanded += len(v.Value); p.expanded > MaxEnvSize {
			return nil, p.tooLarge(lineNo, v.Name)
		}
		p.env[v.Name] = v.Value
		out.Vars = append(out.Vars, v)
	}
	return out, nil
}

type envParser struct {
	file  string
	lines []string
	i     int // index of the next unread line
	env   map[string]string
	// expanded counts the bytes of the values read so far, bounded by
	// MaxEnvSize.
	expanded int
}

func (p *envParser) tooLarge(line int, key string) error {
	return p.errf(line, key, "the env file's values expand to more than %d KiB, the most allowed (does a value append to itself, as A=\"$A$A\" doubling on every line?)", MaxEnvSize>>10)
}

func (p *envParser) errf(line int, key, format string, args ...any) error {
	return &ConfigError{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (p *envParser) assignment(line string, lineNo int) (EnvVar, error) {
	if rest, ok := strings.CutPrefix(line, "export"); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "\t")) {
		line = strings.TrimSpace(rest)
	}
	name, rest, ok := strings.Cut(line, "=")
	name = strings.TrimSpace(name)
	if !ok {
		return EnvVar{}, p.errf(lineNo, "", "expected NAME=value, got %q", clip(line))
	}
	if !envNameRe.MatchString(name) {
		return EnvVar{}, p.errf(lineNo, "", "invalid variable name %q", clip(name))
	}
	rest = strings.TrimLeft(rest, " \t")
	v := EnvVar{Name: name, Line: lineNo}
	switch {
	case strings.HasPrefix(rest, "'"):
		body, tail, err := p.quoted(rest, '\'', lineNo, name)
		if err != nil {
			return v, err
		}
		v.Value = body
		v.Modifiers, err = p.trailer(tail, lineNo, name)
		return v, err
	case strings.HasPrefix(rest, `"`):
		body, tail, err := p.quoted(rest, '"', lineNo, name)
		if err != nil {
			return v, err
		}
		v.Value, err = p.expand(unescapeDouble(body), lineNo, name)
		if err != nil {
			return v, err
		}
		v.Modifiers, err = p.trailer(tail, lineNo, name)
		return v, err
	default:
		val, mods := splitUnquoted(rest)
		var err error
		v.Value, err = p.expand(strings.TrimSpace(val), lineNo, name)
		v.Modifiers = mods
		return v, err
	}
}

// quoted reads a quoted value starting at s[0] == q, continuing onto the
// following lines until the closing quote. It returns the body and whatever
// follows the closing quote on its line.
func (p *envParser) quoted(s string, q byte, lineNo int, name string) (body, tail string, err error) {
	s = s[1:]
	var b strings.Builder
	for {
		if end := closingQuote(s, q); end >= 0 {
			b.WriteString(s[:end])
			return b.String(), s[end+1:], nil
		}
		if p.i >= len(p.lines) {
			return "", "", p.errf(lineNo, name, "unterminated %c-quoted value", q)
		}
		b.WriteString(s)
		b.WriteByte('\n')
		s = p.lines[p.i]
		p.i++
	}
}

// closingQuote finds the closing quote q in s; inside double quotes a
// backslash escapes the next character.
func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		if q == '"' && s[i] == '\\' {
			i++
			continue
		}
		if s[i] == q {
			return i
		}
	}
	return -1
}

// trailer accepts only white space or a comment after a closing quote.
func (p *envParser) trailer(tail string, lineNo int, name string) (map[string]string, error) {
	t := strings.TrimSpace(tail)
	if t == "" {
		return nil, nil
	}
	if !strings.HasPrefix(t, "#") {
		return nil, p.errf(lineNo, name, "unexpected text %q after the closing quote", clip(t))
	}
	return parseModifiers(t[1:]), nil
}

func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '$':
				// Keep the escape so expand leaves the dollar alone.
				b.WriteString(`\$`)
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitUnquoted splits an unquoted value from its trailing comment: a `#`
// that starts the value or follows white space begins the comment.
func splitUnquoted(s string) (string, map[string]string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i]), parseModifiers(s[i+1:])
		}
	}
	return strings.TrimSpace(s), nil
}

// parseModifiers reads `key=value` words from a comment; other words are prose.
func parseModifiers(comment string) map[string]string {
	var mods map[string]string
	for _, w := range strings.Fields(comment) {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" || v == "" || !envNameRe.MatchString(k) {
			continue
		}
		if mods == nil {
			mods = map[string]string{}
		}
		mods[k] = v
	}
	return mods
}

func trimQuotes(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
