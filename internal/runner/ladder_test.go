package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// L1 means the head installs: a pull request whose head cannot deploy (its
// image does not exist) fails install and stays at L0 even though the
// release it upgrades from would install; the upgrade does not run.
// (Install used to deploy the base release when an upgrade followed, and
// such a head then reached L1.)
func TestBrokenHeadIsL0(t *testing.T) {
	src := fixture(t, "upgrade")
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	compose := filepath.Join(dir, "2.0.0+2.0", "compose.yml")
	data, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "recipe-test-fixtures/webapp:2", "recipe-test-fixtures/does-not-exist:2", 1)
	if broken == string(data) {
		t.Fatal("the fixture's head no longer names recipe-test-fixtures/webapp:2")
	}
	if err := os.WriteFile(compose, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := testenv.TaggedRecipe(t, dir)
	res, progress := execute(t, Options{Source: Source{Recipe: repo, Enrollment: enrollmentDir(t, "upgrade")},
		Stages: []string{StageInstall, StageUpgrade},
		Deploy: Deploy{Env: []string{"TIMEOUT=25"}}})
	if res.Status != results.Fail || res.Level != 0 || res.Ladder[0].State != results.RungFailed {
		t.Fatalf("status %s level %d L1 %+v\n%s", res.Status, res.Level, res.Ladder[0], progress)
	}
	if st := wantStage(t, res, "install", results.Fail, "does-not-exist:2"); st.Release != "2.0.0+2.0" {
		t.Errorf("install ran %q, want the head 2.0.0+2.0", st.Release)
	}
	wantStage(t, res, "upgrade", results.Skip, "not run: install failed")
}
