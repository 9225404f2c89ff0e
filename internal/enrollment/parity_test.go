package enrollment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// Every enrolled recipe's PARITY.md is what its recipe.toml generates, and
// every ported row names a test its folder defines.
func TestEnrolledParityUpToDate(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(t), "recipes")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range entries {
		if !d.IsDir() {
			continue
		}
		e, ok, err := Find(dir, d.Name())
		if err != nil || !ok {
			t.Errorf("recipes/%s: %v (found %v)", d.Name(), err, ok)
			continue
		}
		if err := e.CheckParity(d.Name()); err != nil {
			t.Error(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no enrolled recipe found under recipes/")
	}
}

// The drift check catches an edited recipe.toml, a hand-edited PARITY.md
// and a ported row whose test does not exist.
func TestParityDrift(t *testing.T) {
	dir := t.TempDir()
	toml := `[[parity]]
upstream = "upstream/tests/health_check.py"
status = "ported"
test = "TestHealth"
verifies = "health endpoint answers"

[[parity]]
upstream = "upstream/tests/sso.py"
status = "deferred"
verifies = "login through the identity provider"
reason = "needs a Keycloak dependency, which the dependency resolver cannot deploy yet"
`
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(FileName, toml)
	write("x_test.go", "package x\n\nimport \"testing\"\n\nfunc TestHealth(t *testing.T) {}\n")
	e, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CheckParity("x"); err == nil || !strings.Contains(err.Error(), "PARITY.md is missing") {
		t.Errorf("missing PARITY.md: %v", err)
	}
	md := e.ParityMarkdown("x")
	for _, want := range []string{"| upstream test | our test | what it verifies | status |", "1 of 2 upstream tests ported",
		"| `upstream/tests/health_check.py` | `TestHealth` | health endpoint answers | ported |",
		"deferred: needs a Keycloak dependency"} {
		if !strings.Contains(md, want) {
			t.Errorf("PARITY.md lacks %q:\n%s", want, md)
		}
	}
	write(ParityFile, md)
	if err := e.CheckParity("x"); err != nil {
		t.Errorf("fresh PARITY.md: %v", err)
	}
	write(ParityFile, md+"\nhand edit\n")
	if err := e.CheckParity("x"); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("hand-edited PARITY.md: %v", err)
	}
	write(ParityFile, md)
	write("x_test.go", "package x\n")
	if err := e.CheckParity("x"); err == nil || !strings.Contains(err.Error(), "names test TestHealth, which no *_test.go") {
		t.Errorf("missing test: %v", err)
	}
}

func TestParityRowErrors(t *testing.T) {
	for name, tc := range map[string]struct{ doc, want string }{
		"vague deferral":  {"[[parity]]\nupstream = \"u.py\"\nstatus = \"deferred\"\nverifies = \"v\"\nreason = \"needs SSO\"\n", "technical reason"},
		"ported no test":  {"[[parity]]\nupstream = \"u.py\"\nstatus = \"ported\"\nverifies = \"v\"\n", "ported needs test"},
		"n/a no reason":   {"[[parity]]\nupstream = \"u.py\"\nstatus = \"not-applicable\"\nverifies = \"v\"\n", "needs a reason"},
		"bad status":      {"[[parity]]\nupstream = \"u.py\"\nstatus = \"done\"\nverifies = \"v\"\n", `status "done"`},
		"no verifies":     {"[[parity]]\nupstream = \"u.py\"\nstatus = \"ported\"\ntest = \"TestX\"\n", "verifies is required"},
		"unknown row key": {"[[parity]]\nupstream = \"u.py\"\nowner = \"me\"\n", "parity.owner"},
		"bad stage":       {"stages = [\"install\", \"deploy\"]\n", `unknown stage "deploy"`},
		"bad timeout":     {"[timeouts]\ndeploy = \"soon\"\n", "timeouts.deploy"},
		"bad probe":       {"[probe]\npath = \"health\"\n", "probe.path"},
		"bad template":    {"[env]\nX = \"{{.Domain\"\n", "env.X"},
		"both sources":    {"[recipe]\nupstream = \"https://x/y.git\"\npath = \"../y\"\n", "not both"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("recipes/x/recipe.toml", []byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "recipes/x/recipe.toml") {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestEnvAssignments(t *testing.T) {
	e, err := Parse("r.toml", []byte("[env]\nSITE = \"https://{{.Domain}}/\"\nPLAIN = \"x\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.EnvAssignments(struct{ Domain string }{"exam-c0ffee.ci.test"})
	if err != nil || len(got) != 2 || got[0] != "PLAIN='x'" || got[1] != "SITE='https://exam-c0ffee.ci.test/'" {
		t.Errorf("assignments %q, %v", got, err)
	}
	if _, err := e.EnvAssignments(struct{ Stack string }{"s"}); err == nil || !strings.Contains(err.Error(), "env.SITE") {
		t.Errorf("missing fact: %v", err)
	}
	if d := (*Enrollment)(nil).DeployTimeout(); d != 0 {
		t.Errorf("nil enrollment timeout %v", d)
	}
}

// A suite not yet run against the real app says so at the top of its
// parity table.
func TestParityMarkdownUnverified(t *testing.T) {
	e, err := Parse("recipes/kc/recipe.toml", []byte(`[recipe]
upstream = "https://git.example.org/kc.git"
unverified = "no Keycloak image can be pulled here"

[[parity]]
upstream = "tests/health.py"
status = "ported"
test = "TestHealth"
verifies = "health"
`))
	if err != nil {
		t.Fatal(err)
	}
	if md := e.ParityMarkdown("kc"); !strings.Contains(md, "> **Unverified here:** no Keycloak image can be pulled here\n") {
		t.Errorf("PARITY.md:\n%s", md)
	}
	e, _ = Parse("recipes/kc/recipe.toml", []byte("[recipe]\nupstream = \"https://git.example.org/kc.git\"\n"))
	if md := e.ParityMarkdown("kc"); strings.Contains(md, "Unverified") {
		t.Errorf("a verified suite's PARITY.md says unverified:\n%s", md)
	}
}
