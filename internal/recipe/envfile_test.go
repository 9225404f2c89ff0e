package recipe

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEnvForms(t *testing.T) {
	src := `TYPE=bonfire
# a comment
export PLAIN=value # trailing comment
COMPOSE_FILE="compose.yml"
COMPOSE_FILE="$COMPOSE_FILE:compose.postgres.yml"
#COMPOSE_FILE="$COMPOSE_FILE:compose.sonic.yml"
# COMPOSE_FILE="$COMPOSE_FILE:compose.mail.yml"
SINGLE='lit $PLAIN # not a comment'
BRACED=${PLAIN}-x
DEFAULTED=${UNSET:-fallback}
EMPTYDEF=${EMPTY-kept}
EMPTY=
ESC="a\$b \"q\""
HASH=a#b
SECRET_SECRET_KEY_BASE_VERSION=v1 # length=128
SECRET_HMAC_SECRET_VERSION=v1       # length=64 charset=hex
MULTI="line1
line2"
EXTRA_DOMAINS=', ` + "`www.bonfire.example.com`" + `'
`
	env, err := ParseEnv(".env.sample", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	m := env.Map()
	want := map[string]string{
		"TYPE":          "bonfire",
		"PLAIN":         "value",
		"COMPOSE_FILE":  "compose.yml:compose.postgres.yml",
		"SINGLE":        "lit $PLAIN # not a comment",
		"BRACED":        "value-x",
		"DEFAULTED":     "fallback",
		"EMPTYDEF":      "kept",
		"EMPTY":         "",
		"ESC":           `a$b "q"`,
		"HASH":          "a#b",
		"MULTI":         "line1\nline2",
		"EXTRA_DOMAINS": ", `www.bonfire.example.com`",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if v, _ := env.Lookup("SECRET_SECRET_KEY_BASE_VERSION"); v.Value != "v1" || v.Modifiers["length"] != "128" || v.Line != 15 {
		t.Errorf("length hint: %+v", v)
	}
	if v, _ := env.Lookup("SECRET_HMAC_SECRET_VERSION"); v.Modifiers["charset"] != "hex" || v.Modifiers["length"] != "64" {
		t.Errorf("charset hint: %+v", v)
	}
	if len(env.Optional) != 2 || env.Optional[0].Value != "$COMPOSE_FILE:compose.sonic.yml" || env.Optional[1].Line != 7 {
		t.Errorf("optional: %+v", env.Optional)
	}
}

func TestParseEnvErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		src        string
		line       int
		msgContain string
	}{
		"no equals":        {"A=1\njust words\n", 2, "expected NAME=value"},
		"bad name":         {"1A=x\n", 1, "invalid variable name"},
		"unterminated dq":  {"A=\"abc\nB=2\n", 1, "unterminated"},
		"unterminated sq":  {"A='abc\n", 1, "unterminated"},
		"junk after quote": {"A=\"x\" y\n", 1, "after the closing quote"},
		"bad expansion":    {"A=${B:?boom}\n", 1, "unsupported expansion"},
		"unclosed brace":   {"A=${B\n", 1, "unterminated ${"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEnv(".env.sample", []byte(tc.src))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want *ConfigError, got %v", err)
			}
			if ce.File != ".env.sample" || ce.Line != tc.line || !strings.Contains(ce.Error(), tc.msgContain) {
				t.Errorf("got %q (line %d)", ce.Error(), ce.Line)
			}
		})
	}
}

func TestParseAbraSh(t *testing.T) {
	src := `# comment
export APP_ENTRYPOINT_VERSION=v4
export PG_BACKUP_VERSION="v6"
export QUOTED='v1' # note
export COMPUTED=$(date)
export REF="${OTHER}"
  export INDENTED=v9
function x() {
  export INSIDE=v1
}
EXPORTLESS=v1
`
	a, err := ParseAbraSh("abra.sh", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"APP_ENTRYPOINT_VERSION": "v4", "PG_BACKUP_VERSION": "v6", "QUOTED": "v1"}
	if len(a.Exports) != len(want) {
		t.Errorf("exports = %v", a.Exports)
	}
	for k, v := range want {
		if a.Exports[k] != v {
			t.Errorf("%s = %q, want %q", k, a.Exports[k], v)
		}
	}
	if len(a.Warnings) != 2 || !strings.Contains(a.Warnings[0], "abra.sh:5: COMPUTED") {
		t.Errorf("warnings = %q", a.Warnings)
	}
}

// A blank after "=" ends the assignment, as in the shell: the value is
// empty, and a word after it is not the value (the fuzzer's find:
// `export A= '$'` once gave A the value "$").
func TestParseAbraShBlankAfterEquals(t *testing.T) {
	a, err := ParseAbraSh("abra.sh", []byte("export EMPTY= # nothing\nexport A= '$'\nexport B=\tv2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := a.Exports["EMPTY"]; !ok || v != "" {
		t.Errorf("EMPTY = %q, %v; want empty", v, ok)
	}
	for _, k := range []string{"A", "B"} {
		if v, ok := a.Exports[k]; ok {
			t.Errorf("%s = %q: a word after the blank taken for its value", k, v)
		}
	}
	if len(a.Warnings) != 2 || !strings.Contains(a.Warnings[0], "abra.sh:2: A: skipped: unexpected") {
		t.Errorf("warnings = %q", a.Warnings)
	}
}
