package recipe

import (
	"fmt"
	"regexp"
	"strings"
)

// AbraSh holds what we take from a recipe's abra.sh: its top-level
// `export NAME=value` lines (config and entrypoint versions). The file is a
// shell script and is never executed: functions, conditionals and every
// other line are ignored, and an export whose value would need a shell to
// compute (command substitution, expansion) is skipped with a warning.
type AbraSh struct {
	File     string            `json:"file"`
	Exports  map[string]string `json:"exports"`
	Warnings []string          `json:"warnings,omitempty"`
}

var abraExportRe = regexp.MustCompile(`^export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// ParseAbraSh reads the export lines of an abra.sh. Only lines that start at
// column 0 count, so exports inside indented function bodies are left alone.
func ParseAbraSh(file string, data []byte) (*AbraSh, error) {
	out := &AbraSh{File: file, Exports: map[string]string{}}
	for n, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		m := abraExportRe.FindStringSubmatch(strings.TrimRight(line, " \t"))
		if m == nil {
			continue
		}
		val, err := shellWord(m[2])
		if err != nil {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%s:%d: %s: skipped: %v", file, n+1, m[1], err))
			continue
		}
		out.Exports[m[1]] = val
	}
	return out, nil
}

// shellWord reads one shell word that needs no evaluation: a bare word, or a
// single- or double-quoted string without expansions, optionally followed by
// a comment.
func shellWord(s string) (string, error) {
	switch {
	case s == "":
		return "", nil
	case s[0] == ' ' || s[0] == '\t':
		// `export A= x`: a blank ends the assignment, so A is empty, and
		// what follows is another word of the export (which the shell
		// would export, or refuse), not A's value.
		if err := onlyComment(s); err != nil {
			return "", err
		}
		return "", nil
	case s[0] == '\'':
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", fmt.Errorf("unterminated quote")
		}
		if err := onlyComment(s[end+2:]); err != nil {
			return "", err
		}
		return s[1 : end+1], nil
	case s[0] == '"':
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return "", fmt.Errorf("unterminated quote")
		}
		body := s[1 : end+1]
		if strings.ContainsAny(body, "$`\\") {
			return "", fmt.Errorf("value %q needs a shell to evaluate", clip(body))
		}
		if err := onlyComment(s[end+2:]); err != nil {
			return "", err
		}
		return body, nil
	}
	word, rest, _ := strings.Cut(s, " ")
	if strings.ContainsAny(word, "$`\\\"'();&|<>") {
		return "", fmt.Errorf("value %q needs a shell to evaluate", clip(word))
	}
	if err := onlyComment(rest); err != nil {
		return "", err
	}
	return word, nil
}

func onlyComment(rest string) error {
	rest = strings.TrimSpace(rest)
	if rest == "" || strings.HasPrefix(rest, "#") {
		return nil
	}
	return fmt.Errorf("unexpected %q after the value", clip(rest))
}
