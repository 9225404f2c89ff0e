package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// `recipe-test dashboard` builds the site from a folder of artifacts,
// naming the files it skipped; bad sources are usage errors.
func TestDashboardCommand(t *testing.T) {
	dir := t.TempDir()
	run := &results.Run{Status: results.Pass, Recipe: "example", Started: time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC), Residue: []string{},
		Stages: []results.Stage{{Name: "install", Status: results.Pass}}}
	run.ComputeLadder(nil)
	var buf bytes.Buffer
	if err := report.JSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.MkdirAll(filepath.Join(dir, "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "results.json"), buf.Bytes(), 0o644)
	bad := filepath.Join(dir, "b", "results.json")
	os.WriteFile(bad, []byte("{"), 0o644)
	site := filepath.Join(t.TempDir(), "site")

	code, out, stderr := runCLI(t, "dashboard", "--from", dir, "--out", site, "--title", "Nightly")
	if code != exitOK || !strings.Contains(out, "1 recipe, 1 run, 1 file skipped") || !strings.Contains(stderr, "skipped "+bad+": not a results.json") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	for _, name := range []string{"index.html", "recipes/example.html", "badges/example.svg"} {
		if _, err := os.Stat(filepath.Join(site, name)); err != nil {
			t.Error(err)
		}
	}
	if index, _ := os.ReadFile(filepath.Join(site, "index.html")); !bytes.Contains(index, []byte("<h1>Nightly</h1>")) {
		t.Errorf("--title not used")
	}

	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no source":        {[]string{"dashboard", "--out", site}, "--from or --from-git is required"},
		"no out":           {[]string{"dashboard", "--from", dir}, "--out is required"},
		"missing folder":   {[]string{"dashboard", "--from", filepath.Join(dir, "nope"), "--out", site}, "nope"},
		"bad git source":   {[]string{"dashboard", "--from-git", "repo-without-ref", "--out", site}, "REPO:REF[:PATH]"},
		"not a repository": {[]string{"dashboard", "--from-git", dir + ":main", "--out", site}, "open repository " + dir},
		"nothing to show":  {[]string{"dashboard", "--from", filepath.Join(dir, "b"), "--out", site}, "no run to show"},
		"positional":       {[]string{"dashboard", dir}, "accepts 0 arg"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != exitConfig || !strings.HasPrefix(stderr, "recipe-test: ") || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want exit 2 saying %q", name, code, stderr, c.want)
		}
	}
}
