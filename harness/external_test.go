package harness

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/facts"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// externalTest is a recipe's test kept in its own repository: a module of
// its own that requires recipe-test and imports the public harness (and,
// through the Facts alias, the internal facts model it cannot name).
const externalTest = `package recipetests

import (
	"net/http"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

func TestHomeThroughTheIngress(t *testing.T) {
	env := harness.Load(t)
	resp := env.HTTP().Get(t, "/")
	resp.WantStatus(t, http.StatusOK)
	if want := "home of " + env.Domain; resp.Text() != want {
		t.Fatalf("GET / = %q, want %q", resp.Text(), want)
	}
	var f harness.Facts = env.Facts
	if len(f.Streams) != 0 {
		t.Errorf("streams %v", f.Streams)
	}
	env.Credential(t, "admin") // announced through the mask file, never printed
}
`

// A module outside this repository builds and runs tests against the
// public harness, as a recipe's own repository does against a released
// recipe-test (here this checkout, through a replace directive, so nothing
// of this module is downloaded): go vet and go test -c succeed, the binary
// skips outside a run, and under a run's facts reaches the app through the
// ingress and announces its credential in the mask file.
func TestImportableFromAnotherModule(t *testing.T) {
	root := testenv.RepoRoot(t)
	goBin, err := exec.LookPath("go") // go test puts its own toolchain first in PATH
	if err != nil {
		t.Fatalf("the go command: %v", err)
	}
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go [0-9.]+$`).Find(goMod)
	if goLine == nil {
		t.Fatalf("%s/go.mod has no go line", root)
	}
	// The dependencies' checksums are this module's: the external module
	// needs a subset of them.
	goSum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":         fmt.Sprintf("module example.org/recipe-tests\n\n%s\n\nrequire github.com/cc-ci/recipe-test/v2 v2.0.0\n\nreplace github.com/cc-ci/recipe-test/v2 => %s\n", goLine, root),
		"go.sum":         string(goSum),
		"recipe_test.go": externalTest,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), name, args...)
		cmd.Dir = dir
		// -mod=mod lets go complete go.mod and go.sum from the module
		// cache; GOWORK=off keeps any workspace of the machine out.
		cmd.Env = append(os.Environ(), append([]string{"GOFLAGS=-mod=mod", "GOWORK=off"}, env...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s in %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), dir, err, out)
		}
		return string(out)
	}
	run(nil, goBin, "vet", "./...")
	run(nil, goBin, "test", "-c", "-o", "recipe.test", ".")
	bin := filepath.Join(dir, "recipe.test")

	// Outside a run: skipped, saying why.
	out := run([]string{facts.EnvVar + "="}, bin, "-test.v")
	if !strings.Contains(out, "--- SKIP: TestHomeThroughTheIngress") || !strings.Contains(out, "not run by recipe-test") {
		t.Errorf("outside a run, the external test did not skip:\n%s", out)
	}

	// Under a run's facts. The ingress is a local HTTP proxy: a handler
	// receives the proxied requests, for the app's domain only.
	const domain = "ext-abc123.test"
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != domain || r.URL.Path != "/" {
			http.Error(w, "not this app: "+r.Host+r.URL.Path, http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, "home of "+domain)
	}))
	t.Cleanup(proxy.Close)
	work := t.TempDir()
	masks := filepath.Join(work, "masks")
	if err := os.WriteFile(masks, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	factsFile := filepath.Join(work, "facts.json")
	if err := facts.Write(factsFile, &facts.Facts{Recipe: "ext", Domain: domain, BaseURL: "http://" + domain,
		Stack: "ext-abc123_test", ProxyURL: proxy.URL, Out: t.TempDir(), MaskFile: masks}); err != nil {
		t.Fatal(err)
	}
	out = run([]string{facts.EnvVar + "=" + factsFile}, bin, "-test.v")
	if !strings.Contains(out, "--- PASS: TestHomeThroughTheIngress") {
		t.Errorf("under a run's facts, the external test did not pass:\n%s", out)
	}
	announced, err := facts.ReadMasks(masks)
	if err != nil {
		t.Fatal(err)
	}
	if len(announced) != 1 || len(announced[0]) != credentialLength {
		t.Errorf("mask file holds %d values, want the one %d-character credential", len(announced), credentialLength)
	}
	for _, v := range announced {
		if strings.Contains(out, v) {
			t.Error("the external test printed its credential")
		}
	}
}
