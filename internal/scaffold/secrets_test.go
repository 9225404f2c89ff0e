package scaffold

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// A recipe with generate=false secrets scaffolds an enrollment that
// supplies every one of them (a random value of the recipe's hints, the
// other ways shown commented out), so that its first run gets past the
// plan; secrets recipe-test generates get no table.
func TestScaffoldSuppliesGenerateFalseSecrets(t *testing.T) {
	d, err := Detect(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "supplied-secrets"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e, files := scaffoldInto(t, d, opts("supplied-secrets"), t.TempDir())
	toml := string(files["recipe.toml"])
	if got := e.SuppliedSecrets(); !slices.Equal(got, []string{"api_key", "plc_key", "salt"}) {
		t.Fatalf("supplied %v:\n%s", got, toml)
	}
	salt, _ := e.SecretSupply("salt")
	if salt.Kind() != "random" || salt.Random.Length != 40 || salt.Random.Charset != "hex" {
		t.Errorf("salt supply %+v", salt.Random)
	}
	for _, want := range []string{"generate=false: abra never generates them", "[secrets.api_key]\nrandom = { length = 32 }\n",
		"# value = \"{{.Stack}}-plc_key\"", "# command = [", "salt: generate=false: the operator supplies it, recipe.toml's [secrets] below, charset hex"} {
		// Comments wrap: compare them as one line.
		flat := strings.Join(strings.Fields(strings.ReplaceAll(toml, "\n#", " ")), " ")
		if !strings.Contains(toml, want) && !strings.Contains(flat, strings.Join(strings.Fields(want), " ")) {
			t.Errorf("recipe.toml lacks %q:\n%s", want, toml)
		}
	}

	// The example's secret is generated: nothing to supply.
	d, err = Detect(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e, files = scaffoldInto(t, d, opts("example"), t.TempDir())
	if got := e.SuppliedSecrets(); len(got) != 0 || strings.Contains(string(files["recipe.toml"]), "[secrets.") {
		t.Errorf("a generated secret got a supply: %v\n%s", got, files["recipe.toml"])
	}
}
