// Package scaffold turns a checked-out recipe into a first enrollment
// folder: a recipe.toml holding what could be guessed (the readiness probe,
// one todo parity row per upstream test) and, as comments, what the
// maintainer should look at (services, backups, secrets, releases); the
// PARITY.md the enrollment package generates from it; and a Go test file
// with one smoke test to replace with the app's real checks.
//
// Detect reads the recipe and Files renders the folder (the enroll flow
// commits it). The recipe's own files are read, never executed.
package scaffold

import (
	"fmt"
	"go/build"
	"go/format"
	"go/token"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
)

// Options say what to scaffold.
type Options struct {
	// Name is the enrollment's name: the folder recipes/<Name>.
	Name string
	// Upstream is the recipe's git URL, [recipe] upstream.
	Upstream string
	// Mirror is the CI's mirror of Upstream, [recipe] mirror; "" = none.
	Mirror string
}

// nameRe is what an enrollment name may be: a folder name, a Go import
// path element and a stack-name-friendly word at once.
var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// CheckName returns an error naming name unless it is a valid enrollment
// name.
func CheckName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("scaffold: enrollment name %q is not valid: use 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// Files renders the enrollment folder's files, by file name: recipe.toml,
// PARITY.md and the Go test file (TestFileName). recipe.toml is checked
// with the enroll package's strict loader before it is returned.
func Files(d *Detection, o Options) (map[string][]byte, error) {
	if err := CheckName(o.Name); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("scaffold %s: no detection to render", o.Name)
	}
	if o.Mirror != "" && o.Upstream == "" {
		return nil, fmt.Errorf("scaffold %s: mirror %q is set without an upstream it mirrors", o.Name, o.Mirror)
	}
	testFile := TestFileName(o.Name)
	toml := renderTOML(d, o, testFile)
	e, err := enrollment.Parse(filepath.Join("recipes", o.Name, enrollment.FileName), toml)
	if err != nil {
		return nil, fmt.Errorf("scaffold %s: the generated %s does not load: %w", o.Name, enrollment.FileName, err)
	}
	goSrc, err := format.Source(renderTest(o.Name))
	if err != nil {
		return nil, fmt.Errorf("scaffold %s: format %s: %w", o.Name, testFile, err)
	}
	return map[string][]byte{
		enrollment.FileName:   toml,
		enrollment.ParityFile: []byte(e.ParityMarkdown(o.Name)),
		testFile:              goSrc,
	}, nil
}

// TestFileName is the Go test file of the enrollment called name: the name
// with every character outside [a-z0-9_] turned into '_', plus "_test.go".
// A name the go tool would read as a build constraint (a trailing _linux,
// _arm64, ...) gets "_recipe" appended, so the file builds everywhere.
func TestFileName(name string) string {
	stem := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, name)
	if !buildsEverywhere(stem + "_test.go") {
		stem += "_recipe"
	}
	return stem + "_test.go"
}

// buildsEverywhere reports whether the go tool's file name rules (_GOOS,
// _GOARCH suffixes) leave a Go file called name in every build: it must
// match on two platforms that share neither OS nor architecture.
func buildsEverywhere(name string) bool {
	for _, p := range [][2]string{{"linux", "amd64"}, {"windows", "arm64"}} {
		ctx := build.Default
		ctx.GOOS, ctx.GOARCH = p[0], p[1]
		ctx.OpenFile = func(string) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("package p\n")), nil
		}
		if ok, err := ctx.MatchFile(".", name); err != nil || !ok {
			return false
		}
	}
	return true
}

// PackageName is the Go package of the enrollment called name: the name
// without characters outside [a-z0-9], prefixed with "recipe" when that is
// empty, starts with a digit or is a Go keyword.
func PackageName(name string) string {
	pkg := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, name)
	if pkg == "" || pkg[0] >= '0' && pkg[0] <= '9' || token.IsKeyword(pkg) {
		pkg = "recipe" + pkg
	}
	return pkg
}
