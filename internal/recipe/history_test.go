package recipe

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// gitCmd runs the git CLI, as actions/checkout does.
func gitCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// shallowCheckout clones repo the way actions/checkout does by default:
// one commit deep, no tags.
func shallowCheckout(t *testing.T, repo string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary to make a shallow clone with")
	}
	dir := filepath.Join(t.TempDir(), "checkout")
	if !strings.Contains(repo, "://") {
		repo = "file://" + repo
	}
	gitCmd(t, t.TempDir(), "clone", "--quiet", "--depth", "1", "--no-tags", repo, dir)
	if _, err := os.Stat(filepath.Join(dir, ".git", "shallow")); err != nil {
		t.Fatalf("the checkout is not shallow: %v", err)
	}
	return dir
}

// A default Actions checkout (depth 1, no tags) must not hide the
// recipe's releases: their tags are fetched from origin; where that cannot
// be done, a warning says so and how to fix the workflow.
func TestShallowCheckoutReleases(t *testing.T) {
	upstream := testenv.TaggedRecipe(t, filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "upgrade"))
	want := []string{"1.0.0+1.0", "2.0.0+2.0"}

	t.Run("tags fetched from a real forge", func(t *testing.T) {
		// Over HTTP, from a real Gitea, as from GitHub: the forge's git
		// server deepens a shallow clone.
		g := testenv.GiteaServer(t)
		cloneURL := g.Import(t, g.Org(t), "upgrade", upstream)
		dir := shallowCheckout(t, cloneURL)
		r, err := Open(t.Context(), dir, "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if got := tags(r.Versions); strings.Join(got, " ") != strings.Join(want, " ") || r.HistoryWarning != "" {
			t.Errorf("versions %v, warning %q: want %v and no warning", got, r.HistoryWarning, want)
		}
		// The base release can be checked out, as the upgrade does.
		base, err := Open(t.Context(), dir, want[0], t.TempDir())
		if err != nil || base.Commit != r.Versions[0].Commit {
			t.Errorf("release %s from the completed checkout: %v", want[0], err)
		}
	})
	t.Run("origin that cannot deepen", func(t *testing.T) {
		// go-git's in-process file:// server has no shallow support: the
		// tags cannot be had, and the warning says so.
		dir := shallowCheckout(t, upstream)
		r, err := Open(t.Context(), dir, "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Versions) != 0 || !strings.Contains(r.HistoryWarning, "fetch-depth: 0") {
			t.Errorf("versions %v, warning %q", tags(r.Versions), r.HistoryWarning)
		}
	})
	t.Run("origin unreachable", func(t *testing.T) {
		dir := shallowCheckout(t, upstream)
		gitCmd(t, dir, "remote", "set-url", "origin", "file://"+filepath.Join(t.TempDir(), "gone"))
		r, err := Open(t.Context(), dir, "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Versions) != 0 || !strings.Contains(r.HistoryWarning, "shallow clone") || !strings.Contains(r.HistoryWarning, "fetch-depth: 0") {
			t.Errorf("versions %v, warning %q", tags(r.Versions), r.HistoryWarning)
		}
	})
	t.Run("no remote", func(t *testing.T) {
		dir := shallowCheckout(t, upstream)
		gitCmd(t, dir, "remote", "remove", "origin")
		r, err := Open(t.Context(), dir, "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.HistoryWarning, "no origin remote") {
			t.Errorf("warning %q", r.HistoryWarning)
		}
	})
	t.Run("full clone without tags fetches them", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "checkout")
		gitCmd(t, t.TempDir(), "clone", "--quiet", "--no-tags", "file://"+upstream, dir)
		r, err := Open(t.Context(), dir, "", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if got := tags(r.Versions); len(got) != 2 || r.HistoryWarning != "" {
			t.Errorf("versions %v, warning %q", got, r.HistoryWarning)
		}
	})
	t.Run("a recipe without releases is no problem", func(t *testing.T) {
		dir := t.TempDir()
		gitCmd(t, dir, "init", "--quiet")
		r, err := Open(t.Context(), dir, "", t.TempDir())
		if err == nil && r.HistoryWarning != "" {
			t.Errorf("warning %q for a local repository without a remote or tags", r.HistoryWarning)
		}
	})
}

func tags(vs []Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Tag)
	}
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopGitea()
	os.Exit(code)
}
