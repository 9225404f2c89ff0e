package recipe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// doublingEnv is a .env.sample of under 400 bytes whose last value would
// be 128 MiB: each line appends A to itself.
func doublingEnv() (src string, wouldBe int) {
	var b strings.Builder
	b.WriteString("TYPE=bomb\nDOMAIN=bomb.example.com\n# each line doubles A: 16 bytes become 128 MiB\nA=0123456789abcdef\n")
	size := 16
	for range 23 {
		b.WriteString(`A="$A$A"` + "\n")
		size *= 2
	}
	return b.String(), size
}

// A few hundred bytes that would expand to 128 MiB fail on the line where
// the expansion passes MaxEnvSize, naming the file, the line and the key,
// and a recipe folder holding them is refused as bad input.
func TestEnvExpansionBounded(t *testing.T) {
	src, wouldBe := doublingEnv()
	if len(src) > 400 || wouldBe < 128<<20 {
		t.Fatalf("the attack is %d bytes for %d MiB: not the one wanted", len(src), wouldBe>>20)
	}
	// The first line whose values, together, pass the bound.
	wantLine, total, size := 0, len("bomb")+len("bomb.example.com")+16, 16
	for i := 0; wantLine == 0; i++ {
		size *= 2
		if total += size; total > MaxEnvSize {
			wantLine = 5 + i
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env.sample"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir(dir)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("LoadDir = %v, want a ConfigError", err)
	}
	if ce.File != ".env.sample" || ce.Line != wantLine || ce.Key != "A" || !strings.Contains(err.Error(), fmt.Sprintf(".env.sample:%d: A: ", wantLine)) {
		t.Errorf("error %q names %s:%d key %s, want .env.sample:%d key A", err, ce.File, ce.Line, ce.Key, wantLine)
	}
	if !IsInputError(err) {
		t.Error("not an input error (exit 2)")
	}
}

func TestEnvExpansionBoundedCases(t *testing.T) {
	big := strings.Repeat("x", 300<<10)
	for _, tc := range []struct {
		name, src string
		line      int // 0: parses
	}{
		{"one line many references", "A=" + big + "\nB=\"$A$A$A$A\"\n", 2},
		{"braced references", "A=" + big + "\nB=${A}${A}${A}${A}\n", 2},
		{"defaults count too", "A=" + big + "\nB=${X:-$A}\nC=\"$A$A$A\"\n", 3},
		{"single quotes are literal", "A=" + big + "\nB='$A$A$A$A$A$A'\n", 0},
		{"many small values fit", strings.Repeat("A=\"$A"+strings.Repeat("y", 100)+"\"\n", 50), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEnv(".env.sample", []byte(tc.src))
			var ce *ConfigError
			switch {
			case tc.line == 0 && err != nil:
				t.Fatalf("ParseEnv: %v", err)
			case tc.line == 0:
			case !errors.As(err, &ce) || ce.Line != tc.line:
				t.Fatalf("ParseEnv = %v, want an error on line %d", err, tc.line)
			}
		})
	}
}

// A recipe file larger than MaxFileSize is refused, naming it.
func TestRecipeFileSizeBounded(t *testing.T) {
	dir := t.TempDir()
	env := "TYPE=big\nDOMAIN=big.example.com\n# " + strings.Repeat("padding ", MaxFileSize/8) + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".env.sample"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir(dir)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.File != ".env.sample" || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("LoadDir = %v, want .env.sample refused as too large", err)
	}
}

// Compose files, env files and config files larger than MaxFileSize are
// refused when the recipe is resolved, naming the file.
func TestResolveFileSizeBounded(t *testing.T) {
	big := "# " + strings.Repeat("padding ", MaxFileSize/8) + "\n"
	compose := `version: "3.8"
services:
  app:
    image: nginx:1.25
    env_file: [app.env]
    configs:
      - source: app_conf
        target: /etc/app.conf
configs:
  app_conf:
    name: ${STACK_NAME}_app_conf_${APP_CONF_VERSION}
    file: app.conf
`
	for _, tc := range []struct{ name, bigFile, want string }{
		{"compose file", "compose.yml", "compose.yml"},
		{"env file", "app.env", "app.env"},
		{"config file", "app.conf", "configs.app_conf.file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{".env.sample": "TYPE=big\nDOMAIN=big.example.com\nAPP_CONF_VERSION=v1\n",
				"compose.yml": compose, "app.env": "A=1\n", "app.conf": "x\n"}
			if tc.bigFile == "compose.yml" {
				files["compose.yml"] = compose + big
			} else {
				files[tc.bigFile] = big
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Resolve(ResolveOptions{Domain: "big.example.com"})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "larger than 4 MiB") {
				t.Fatalf("Resolve = %v, want %s refused as larger than 4 MiB", err, tc.want)
			}
			if !IsInputError(err) {
				t.Errorf("not an input error: %v", err)
			}
		})
	}
}
