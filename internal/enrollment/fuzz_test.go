package enrollment

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// FuzzParse checks the recipe.toml loader's contract on any input: no
// panic; an error is always a *recipe.ConfigError naming the file, with a
// line inside it when it has one; a parsed enrollment names its file, its
// not-applicable rungs are real levels above L1 and its timeouts are not
// negative. The seeds are every enrollment of the repository.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../../recipes/*/recipe.toml", "../../testdata/enrollments/*/recipe.toml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("[recipe]\nname = \"x\"\n[not_applicable]\nupgrade = \"no releases\"\n[timeouts]\ndeploy = \"-1s\"\n"))
	const file = "recipes/x/recipe.toml"
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		e, err := Parse(file, data)
		if err != nil {
			var ce *recipe.ConfigError
			if !errors.As(err, &ce) || ce.File != file || ce.Line < 0 || ce.Line > lines {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if e.File != file || e.DeployTimeout() < 0 || e.CustomTimeout() < 0 {
			t.Fatalf("enrollment %+v", e)
		}
		for level := range e.NotApplicableLevels() {
			if level < 2 || level > 5 {
				t.Fatalf("not-applicable level %d", level)
			}
		}
		e.Grants()
		e.ParityMarkdown("x")
	})
}
