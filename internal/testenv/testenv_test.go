package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/moby/moby/client"
)

// recorder is a testing.TB that records Skip and Fatal instead of stopping
// the goroutine, to test the skip-or-fail rule itself.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.failed = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	for _, p := range []string{"go.mod", "scripts/build-fixtures.sh", "testdata/images/fixtures.txt"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("RepoRoot() = %s: %v", root, err)
		}
	}
}

func TestFixturesList(t *testing.T) {
	fixtures := Fixtures(t)
	want := map[string]bool{
		"recipe-test-fixtures/webapp:1":  false,
		"recipe-test-fixtures/webapp:2":  false,
		"recipe-test-fixtures/backend:1": false,
	}
	for _, f := range fixtures {
		if _, ok := want[f.Ref()]; ok {
			want[f.Ref()] = true
		}
		if _, err := os.Stat(filepath.Join(RepoRoot(t), "testdata", "images", f.Name, "Dockerfile")); err != nil {
			t.Errorf("fixture %s: %v", f.Ref(), err)
		}
	}
	for ref, found := range want {
		if !found {
			t.Errorf("fixtures.txt does not list %s", ref)
		}
	}
}

func TestUnavailableEngineSkipsOrFails(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))

	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	Swarm(r)
	if testing.Short() {
		if r.skipped == "" {
			t.Fatalf("Swarm in -short mode did not skip")
		}
		return
	}
	if r.skipped == "" || r.failed != "" {
		t.Fatalf("without %s: skipped %q, failed %q; want a skip", RequireEnv, r.skipped, r.failed)
	}
	if !strings.Contains(r.skipped, "no Docker engine") {
		t.Errorf("skip reason %q does not say the engine is missing", r.skipped)
	}

	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	Swarm(r)
	if r.failed == "" || r.skipped != "" {
		t.Fatalf("with %s=1: skipped %q, failed %q; want a failure", RequireEnv, r.skipped, r.failed)
	}

	r = &recorder{TB: t}
	FixtureImage(r, "webapp", "1")
	if r.failed == "" {
		t.Fatalf("FixtureImage with no engine and %s=1 did not fail", RequireEnv)
	}
}

func TestSwarm(t *testing.T) {
	Swarm(t)

	cli, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	res, err := cli.Info(context.Background(), client.InfoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Info.Swarm.ControlAvailable {
		t.Fatalf("Swarm passed but the engine is not a manager")
	}
	t.Logf("engine %s (API %s), swarm node %s", res.Info.ServerVersion, cli.ClientVersion(), res.Info.Swarm.NodeID)
}

func TestFixtureImages(t *testing.T) {
	Swarm(t)
	root := RepoRoot(t)

	for _, f := range Fixtures(t) {
		id := FixtureImage(t, f.Name, f.Tag)
		if !strings.HasPrefix(id, "sha256:") {
			t.Errorf("FixtureImage(%s) = %q, want an image ID", f.Ref(), id)
		}
		cli, err := client.New(client.FromEnv)
		if err != nil {
			t.Fatal(err)
		}
		img, err := cli.ImageInspect(context.Background(), id)
		cli.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Config.Labels[FixtureLabel]; got != f.Name {
			t.Errorf("%s: label %s = %q, want %q", f.Ref(), FixtureLabel, got, f.Name)
		}
		if len(img.Config.Labels[FixtureHashLabel]) != 64 {
			t.Errorf("%s: label %s = %q, want a sha256", f.Ref(), FixtureHashLabel, img.Config.Labels[FixtureHashLabel])
		}
	}

	// The images must match the sources they are built from.
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "build-fixtures.sh"), "--check")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-fixtures.sh --check: %v\n%s", err, out)
	}
}

func TestFixtureImageMissing(t *testing.T) {
	Swarm(t)
	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	if id := FixtureImage(r, "does-not-exist", "1"); id != "" {
		t.Fatalf("FixtureImage of a missing image = %q", id)
	}
	if !strings.Contains(r.skipped, "not found") {
		t.Fatalf("missing image: skipped %q, failed %q; want a not-found skip", r.skipped, r.failed)
	}
}

// A heavy stand-in image that is missing skips its test even when the
// swarm is required, naming the variable that builds and requires it; with
// that variable set, its absence fails the test as any stand-in's does.
func TestHeavyAppImageMissing(t *testing.T) {
	Swarm(t)
	t.Setenv(RequireEnv, "1")
	t.Setenv(HeavyAppsEnv, "")
	r := &recorder{TB: t}
	if id := HeavyAppImage(r, "recipe-test-fixtures/does-not-exist:1"); id != "" || r.failed != "" ||
		!strings.Contains(r.skipped, "not built") || !strings.Contains(r.skipped, HeavyAppsEnv+"=1 scripts/build-apps.sh") {
		t.Fatalf("missing heavy image, not asked for: id %q, skipped %q, failed %q", id, r.skipped, r.failed)
	}
	t.Setenv(HeavyAppsEnv, "1")
	r = &recorder{TB: t}
	if HeavyAppImage(r, "recipe-test-fixtures/does-not-exist:1"); r.skipped != "" || !strings.Contains(r.failed, "not found") {
		t.Fatalf("missing heavy image, asked for: skipped %q, failed %q; want a not-found failure", r.skipped, r.failed)
	}
}

// writeFiles writes files (slash path -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// treeFiles returns the files (slash path -> content) of a commit's tree.
func treeFiles(t *testing.T, c *object.Commit) map[string]string {
	t.Helper()
	tree, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	err = tree.Files().ForEach(func(f *object.File) error {
		content, err := f.Contents()
		files[f.Name] = content
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// tagCommits returns the tags of repo and the commit each points to; it
// fails t when a tag is not annotated.
func tagCommits(t *testing.T, repo *git.Repository) map[string]plumbing.Hash {
	t.Helper()
	tags, err := repo.Tags()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]plumbing.Hash{}
	err = tags.ForEach(func(ref *plumbing.Reference) error {
		tag, err := repo.TagObject(ref.Hash())
		if err != nil {
			t.Errorf("tag %s is not annotated (%v), want an annotated tag", ref.Name().Short(), err)
			out[ref.Name().Short()] = ref.Hash()
			return nil
		}
		out[ref.Name().Short()] = tag.Target
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTaggedRecipe(t *testing.T) {
	// Folder names in lexical order are not in version order: 1.10.0 comes
	// after 1.9.0, and the prerelease 2.0.0-rc.1 before 2.0.0.
	layout := t.TempDir()
	versions := map[string]map[string]string{
		"1.9.0+1.0": {
			"compose.yml":       "# 1.9.0\n",
			"old-only.yml":      "# only in 1.9.0\n",
			"conf/app.conf":     "a=1\n",
			"release/1.9.0+1.0": "notes 1.9.0\n",
		},
		"1.10.0+1.1": {
			"compose.yml":   "# 1.10.0\n",
			"conf/app.conf": "a=2\n",
		},
		"2.0.0-rc.1+2.0": {"compose.yml": "# 2.0.0-rc.1\n"},
		"2.0.0+2.0": {
			"compose.yml":       "# 2.0.0\n",
			"new.yml":           "# new in 2.0.0\n",
			"release/2.0.0+2.0": "notes 2.0.0\n",
		},
	}
	for v, files := range versions {
		writeFiles(t, filepath.Join(layout, v), files)
	}
	writeFiles(t, layout, map[string]string{"README.md": "not a version\n"})

	repoDir := TaggedRecipe(t, layout)
	repo, err := git.PlainOpen(repoDir)
	if err != nil {
		t.Fatalf("TaggedRecipe made no repository: %v", err)
	}

	tags := tagCommits(t, repo)
	var names []string
	for name := range tags {
		names = append(names, name)
	}
	sort.Strings(names)
	if want := []string{"1.10.0+1.1", "1.9.0+1.0", "2.0.0+2.0", "2.0.0-rc.1+2.0"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("tags %q, want %q", names, want)
	}

	// HEAD is on main, at the newest version, and the history is one commit
	// per version, oldest first in version order.
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	if head.Name() != plumbing.NewBranchReferenceName("main") || head.Hash() != tags["2.0.0+2.0"] {
		t.Fatalf("HEAD is %s at %s, want main at the commit of 2.0.0+2.0 (%s)", head.Name(), head.Hash(), tags["2.0.0+2.0"])
	}
	log, err := repo.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		t.Fatal(err)
	}
	var history []plumbing.Hash
	err = log.ForEach(func(c *object.Commit) error {
		history = append(history, c.Hash)
		if c.NumParents() > 1 {
			t.Errorf("commit %s has %d parents", c.Hash, c.NumParents())
		}
		if c.Author.Name != "recipe-test fixtures" {
			t.Errorf("commit %s: author %q", c.Hash, c.Author.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	order := []string{"2.0.0+2.0", "2.0.0-rc.1+2.0", "1.10.0+1.1", "1.9.0+1.0"} // newest first, as the log walks
	if len(history) != len(order) {
		t.Fatalf("%d commits, want %d (one per version)", len(history), len(order))
	}
	for i, v := range order {
		if history[i] != tags[v] {
			t.Errorf("commit %d from HEAD is %s, want the commit tagged %s (%s)", i, history[i], v, tags[v])
		}
	}

	// Each tag's tree is exactly its folder: the files of older versions and
	// of dir itself are gone.
	for v, want := range versions {
		c, err := repo.CommitObject(tags[v])
		if err != nil {
			t.Fatalf("tag %s: %v", v, err)
		}
		if got := treeFiles(t, c); !reflect.DeepEqual(got, want) {
			t.Errorf("tree of %s = %q, want %q", v, got, want)
		}
	}

	// The working tree is HEAD, checked out.
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	status, err := wt.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !status.IsClean() {
		t.Errorf("the working tree differs from HEAD:\n%s", status)
	}
	if b, err := os.ReadFile(filepath.Join(repoDir, "compose.yml")); err != nil || string(b) != "# 2.0.0\n" {
		t.Errorf("checked-out compose.yml = %q (%v), want 2.0.0's", b, err)
	}
	for _, gone := range []string{"old-only.yml", "conf", "README.md"} {
		if _, err := os.Stat(filepath.Join(repoDir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s is in the working tree of the newest version (%v)", gone, err)
		}
	}
}

func TestTaggedRecipeRefusesNonVersionFolders(t *testing.T) {
	layout := t.TempDir()
	writeFiles(t, layout, map[string]string{"1.0.0+1.0/compose.yml": "", "latest/compose.yml": ""})
	r := &recorder{TB: t}
	TaggedRecipe(r, layout)
	if !strings.Contains(r.failed, `"latest"`) {
		t.Fatalf("a folder named latest: failed %q, want an error naming it", r.failed)
	}

	r = &recorder{TB: t}
	TaggedRecipe(r, t.TempDir())
	if !strings.Contains(r.failed, "no version folder") {
		t.Fatalf("an empty folder: failed %q, want an error", r.failed)
	}
}

// TestTaggedRecipeUpgradeFixture checks the upgrade fixture recipe's
// repository: two releases, the newest checked out.
func TestTaggedRecipeUpgradeFixture(t *testing.T) {
	repoDir := TaggedRecipe(t, filepath.Join(RepoRoot(t), "testdata", "recipes", "upgrade"))
	repo, err := git.PlainOpen(repoDir)
	if err != nil {
		t.Fatal(err)
	}
	tags := tagCommits(t, repo)
	if len(tags) != 2 || tags["1.0.0+1.0"].IsZero() || tags["2.0.0+2.0"].IsZero() {
		t.Fatalf("tags %v, want 1.0.0+1.0 and 2.0.0+2.0", tags)
	}
	for v, image := range map[string]string{"1.0.0+1.0": "webapp:1", "2.0.0+2.0": "webapp:2"} {
		c, err := repo.CommitObject(tags[v])
		if err != nil {
			t.Fatal(err)
		}
		files := treeFiles(t, c)
		if !strings.Contains(files["compose.yml"], "recipe-test-fixtures/"+image) {
			t.Errorf("compose.yml of %s does not use %s", v, image)
		}
		if _, ok := files["release/"+v]; !ok {
			t.Errorf("%s has no release notes release/%s", v, v)
		}
		if _, ok := files["README.md"]; ok {
			t.Errorf("%s holds the layout's README.md", v)
		}
	}
	head, err := repo.Head()
	if err != nil || head.Hash() != tags["2.0.0+2.0"] {
		t.Fatalf("HEAD %v (%v), want 2.0.0+2.0", head, err)
	}
}
