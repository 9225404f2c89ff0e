package recipe

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The fuzzers check the parsers' contracts on any input: no panic, errors are
// always *ConfigError naming the file and a line inside it, and every parsed
// assignment has a valid name and a line number inside the input. Seeds live
// in testdata/fuzz; run with `go test -fuzz FuzzParseEnv ./internal/recipe`.

func FuzzParseEnv(f *testing.F) {
	f.Add([]byte("A=1\nB=\"$A:x\" # length=3\n#C=2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		env, err := ParseEnv("f.env", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.File != "f.env" || ce.Line < 1 || ce.Line > lines {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		for _, v := range append(env.Vars, env.Optional...) {
			if !envNameRe.MatchString(v.Name) || v.Line < 1 || v.Line > lines {
				t.Fatalf("bad var %+v", v)
			}
		}
	})
}

// FuzzParseAbraSh: an export's value is what the shell would assign
// without evaluating anything. A value holding "$", "`" or "\\" is legal
// only single-quoted (where the shell expands nothing), so such a value
// must come from a single-quoted export line of that name; no value holds
// a line break.
func FuzzParseAbraSh(f *testing.F) {
	f.Add([]byte("export A_VERSION=v1\nexport B=\"x\"\n"))
	f.Add([]byte("export C='a$b`c\\\\d'\nexport D=\"$C\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAbraSh("abra.sh", data)
		if err != nil {
			t.Fatalf("ParseAbraSh never fails, got %v", err)
		}
		lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
		for k, v := range a.Exports {
			if !envNameRe.MatchString(k) || strings.ContainsAny(v, "\n") {
				t.Fatalf("bad export %q=%q", k, v)
			}
			if !strings.ContainsAny(v, "$`\\") {
				continue
			}
			quoted := func(line string) bool {
				rest, ok := strings.CutPrefix(line, "export")
				word := strings.TrimLeft(rest, " \t\f\r")
				return ok && len(word) < len(rest) && strings.HasPrefix(word, k+"='"+v+"'")
			}
			if !slices.ContainsFunc(lines, quoted) {
				t.Fatalf("export %s=%q needs a shell to evaluate, and no single-quoted export line gives it", k, v)
			}
		}
	})
}
