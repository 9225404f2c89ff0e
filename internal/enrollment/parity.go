package enrollment

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ParityFile is the generated parity table beside recipe.toml.
const ParityFile = "PARITY.md"

// ParityMarkdown renders PARITY.md from the parity rows: upstream test, our
// test, what it verifies, status. It is generated, never edited by hand.
func (e *Enrollment) ParityMarkdown(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Parity: %s\n\n", name)
	fmt.Fprintf(&b, "<!-- Generated from recipe.toml by `recipe-test parity %s`. Do not edit: edit recipe.toml's [[parity]] rows and regenerate. -->\n\n", name)
	if e.Recipe.Unverified != "" {
		fmt.Fprintf(&b, "> **Unverified here:** %s\n\n", e.Recipe.Unverified)
	}
	if len(e.Parity) == 0 {
		b.WriteString("No upstream tests are recorded for this recipe.\n")
		return b.String()
	}
	ported := 0
	for _, p := range e.Parity {
		if p.Status == Ported {
			ported++
		}
	}
	fmt.Fprintf(&b, "%d of %d upstream tests ported.\n\n", ported, len(e.Parity))
	b.WriteString("| upstream test | our test | what it verifies | status |\n| --- | --- | --- | --- |\n")
	for _, p := range e.Parity {
		ours, status := "—", p.Status
		switch p.Status {
		case Ported:
			ours = "`" + p.Test + "`"
		case Deferred:
			status = "deferred: " + p.Reason
		case NotApplicable:
			status = "not applicable: " + p.Reason
		case Todo:
			status = "TODO: not looked at yet"
		}
		verifies := p.Verifies
		if verifies == "" {
			verifies = "TODO"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", mdCell(p.Upstream), ours, mdCell(verifies), mdCell(status))
	}
	return b.String()
}

func mdCell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", "\\|")
}

// CheckParity returns an error when PARITY.md beside recipe.toml differs
// from what recipe.toml generates, or when a ported row names a test that
// no Go test file of the enrollment defines.
func (e *Enrollment) CheckParity(name string) error {
	var problems []string
	path := filepath.Join(e.Dir, ParityFile)
	have, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		problems = append(problems, fmt.Sprintf("%s is missing: run `recipe-test parity %s`", path, name))
	case err != nil:
		return err
	case string(have) != e.ParityMarkdown(name):
		problems = append(problems, fmt.Sprintf("%s differs from what %s generates: run `recipe-test parity %s`", path, e.File, name))
	}
	tests, err := e.TestNames()
	if err != nil {
		return err
	}
	for _, p := range e.Parity {
		if p.Status == Ported && !tests[p.Test] {
			problems = append(problems, fmt.Sprintf("%s: parity row %s names test %s, which no *_test.go in %s defines", e.File, p.Upstream, p.Test, e.Dir))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

var testFuncRe = regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]*)\(t \*testing\.T\)`)

// TestNames lists the Go tests the enrollment folder defines.
func (e *Enrollment) TestNames() (map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(e.Dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range testFuncRe.FindAllStringSubmatch(string(data), -1) {
			out[m[1]] = true
		}
	}
	return out, nil
}

// DefaultRecipesDir is where enrollments live: $RECIPE_TEST_RECIPES, else
// ./recipes.
func DefaultRecipesDir() string {
	if d := os.Getenv("RECIPE_TEST_RECIPES"); d != "" {
		return d
	}
	return "recipes"
}

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Find loads the enrollment of the recipe called name from recipesDir
// (recipesDir/<name>/recipe.toml). The bool is false when there is none.
func Find(recipesDir, name string) (*Enrollment, bool, error) {
	if !nameRe.MatchString(name) {
		return nil, false, nil
	}
	dir := filepath.Join(recipesDir, name)
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		return nil, false, nil
	}
	e, err := Load(dir)
	return e, err == nil, err
}

// List loads every enrollment in recipesDir (each folder holding a
// recipe.toml), sorted by name. A recipe.toml that does not load is an
// error naming it: a catalogue with a broken enrollment must not pass for
// a smaller one.
func List(recipesDir string) ([]*Enrollment, error) {
	entries, err := os.ReadDir(recipesDir)
	if err != nil {
		return nil, fmt.Errorf("enrolled recipes: %w", err)
	}
	var out []*Enrollment
	for _, en := range entries {
		if !en.IsDir() || !nameRe.MatchString(en.Name()) {
			continue
		}
		e, ok, err := Find(recipesDir, en.Name())
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// Name is the enrolled recipe's name: [recipe] name, else its folder's.
func (e *Enrollment) Name() string {
	if e.Recipe.Name != "" {
		return e.Recipe.Name
	}
	return filepath.Base(e.Dir)
}
