// Package testenv gates integration tests on the resources they need: a
// Docker engine that is a swarm manager, and the fixture images built by
// scripts/build-fixtures.sh. It also builds fixtures that need no engine,
// such as a recipe's git repository with tagged releases (TaggedRecipe).
//
// When a resource is missing the test is skipped with the reason, unless the
// environment variable RECIPE_TEST_REQUIRE_SWARM is "1" (CI sets it through
// scripts/test.sh): then the test fails, so CI can never pass by skipping.
package testenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	cerrdefs "github.com/containerd/errdefs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/moby/moby/client"
)

const (
	// RequireEnv names the environment variable that turns a missing
	// resource from a skip into a failure when set to "1".
	RequireEnv = "RECIPE_TEST_REQUIRE_SWARM"

	// Module is the module path of this repository.
	Module = "github.com/cc-ci/recipe-test/v2"

	// FixtureRepo prefixes the fixture image names: FixtureRepo/<name>:<tag>.
	FixtureRepo = "recipe-test-fixtures"

	// FixtureLabel holds the fixture name; FixtureHashLabel the hash of the
	// contents the image was built from (see scripts/build-fixtures.sh).
	FixtureLabel     = "recipe-test.fixture"
	FixtureHashLabel = "recipe-test.fixture.hash"

	// timeout bounds each check against the engine.
	timeout = 15 * time.Second
)

// Required reports whether missing resources must fail tests rather than
// skip them.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// unavailable skips t with the reason, or fails it when resources are
// required. The caller must return right after.
func unavailable(t testing.TB, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s (%s=1: required)", reason, RequireEnv)
		return
	}
	t.Skipf("%s; run scripts/setup-host.sh, or set %s=1 to make this a failure", reason, RequireEnv)
}

// connect returns a client configured from the environment (DOCKER_HOST,
// ...). The API version is negotiated down to the daemon's on first use.
func connect() (*client.Client, error) {
	return client.New(client.FromEnv)
}

// Swarm skips (or, with RECIPE_TEST_REQUIRE_SWARM=1, fails) t unless a
// Docker engine answers and is a swarm manager. In -short mode it skips
// unless swarm tests are required.
func Swarm(t testing.TB) {
	if testing.Short() && !Required() {
		t.Skip("swarm integration test skipped in -short mode")
		return
	}
	cli, err := connect()
	if err != nil {
		unavailable(t, "testenv: docker client: %v", err)
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Ping().SwarmStatus is not filled in on API 1.41 (Docker 20.10); the
	// Info endpoint says whether this node is a manager on every version.
	res, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		unavailable(t, "testenv: no Docker engine at %s: %v", cli.DaemonHost(), err)
		return
	}
	sw := res.Info.Swarm
	if !sw.ControlAvailable {
		unavailable(t, "testenv: the Docker engine at %s is not a swarm manager (swarm state %q)",
			cli.DaemonHost(), sw.LocalNodeState)
		return
	}
}

// FixtureImage checks that the fixture image FixtureRepo/name:tag exists and
// was built by scripts/build-fixtures.sh, and returns its ID ("sha256:...").
// When it is missing, t is skipped, or failed when resources are required.
func FixtureImage(t testing.TB, name, tag string) string {
	t.Helper()
	return builtImage(t, FixtureRepo+"/"+name+":"+tag, "fixture image", FixtureHashLabel, "scripts/build-fixtures.sh", "")
}

// builtImage checks that the image ref exists and carries the hash label
// its build script (script) puts on it, and returns its ID; else t is
// skipped, or failed when resources are required. why adds to the message
// of an image without the label.
func builtImage(t testing.TB, ref, what, label, script, why string) string {
	t.Helper()
	cli, err := connect()
	if err != nil {
		unavailable(t, "testenv: docker client: %v", err)
		return ""
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	img, err := cli.ImageInspect(ctx, ref)
	switch {
	case cerrdefs.IsNotFound(err):
		unavailable(t, "testenv: %s %s not found: run %s", what, ref, script)
		return ""
	case err != nil:
		unavailable(t, "testenv: inspect %s %s at %s: %v", what, ref, cli.DaemonHost(), err)
		return ""
	}
	if img.Config == nil || img.Config.Labels[label] == "" {
		unavailable(t, "testenv: image %s has no %s label: it was not built by %s%s", ref, label, script, why)
		return ""
	}
	return img.ID
}

// RepoRoot returns the root of this repository: the nearest folder, from the
// working directory up, whose go.mod declares module Module.
func RepoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	for {
		if isModuleRoot(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("testenv: no go.mod of module %s above the working directory", Module)
		}
		dir = parent
	}
}

func isModuleRoot(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == Module
		}
	}
	return false
}

// Fixture is one entry of testdata/images/fixtures.txt.
type Fixture struct {
	Name, Tag string
	BuildTags string // comma-separated Go build tags, or ""
}

// Ref returns the image reference FixtureRepo/Name:Tag.
func (f Fixture) Ref() string { return FixtureRepo + "/" + f.Name + ":" + f.Tag }

// Fixtures returns the fixture images listed in testdata/images/fixtures.txt,
// the list scripts/build-fixtures.sh builds.
func Fixtures(t testing.TB) []Fixture {
	path := filepath.Join(RepoRoot(t), "testdata", "images", "fixtures.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	var out []Fixture
	for i, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) < 2 || len(fields) > 3 {
			t.Fatalf("testenv: %s:%d: want <name> <tag> [build tags], got %q", path, i+1, line)
		}
		f := Fixture{Name: fields[0], Tag: fields[1]}
		if len(fields) == 3 {
			f.BuildTags = fields[2]
		}
		out = append(out, f)
	}
	return out
}

// TaggedRecipe makes a git repository in a fresh t.TempDir() from dir, a
// folder that holds one subfolder per released version of a recipe, named
// exactly by its tag and holding the whole recipe at that tag (like
// testdata/recipes/upgrade). Oldest first, in semantic version order of the
// recipe part of the names (before "+"), each version's files replace the
// working tree, are committed and tagged with the folder's name (a
// annotated tag, as abra recipe release makes). Files directly in dir, such as a README, belong to no
// version. It returns the repository's path; HEAD, on branch main, is the
// newest version, checked out.
//
// It uses go-git, so no git binary is needed.
func TaggedRecipe(t testing.TB, dir string) string {
	t.Helper()
	versions, err := versionFolders(dir)
	if err != nil {
		t.Fatalf("testenv: TaggedRecipe: %v", err)
		return ""
	}
	repoDir := t.TempDir()
	repo, err := git.PlainInitWithOptions(repoDir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatalf("testenv: TaggedRecipe: git init %s: %v", repoDir, err)
		return ""
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatalf("testenv: TaggedRecipe: %v", err)
		return ""
	}
	// Fixed dates, a minute apart, so the same folder gives the same commits.
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range versions {
		if err := clearWorktree(repoDir); err != nil {
			t.Fatalf("testenv: TaggedRecipe: %v", err)
			return ""
		}
		if err := copyTree(filepath.Join(dir, v), repoDir); err != nil {
			t.Fatalf("testenv: TaggedRecipe: version %s: %v", v, err)
			return ""
		}
		if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
			t.Fatalf("testenv: TaggedRecipe: version %s: git add: %v", v, err)
			return ""
		}
		sig := &object.Signature{
			Name:  "recipe-test fixtures",
			Email: "fixtures@recipe-test.invalid",
			When:  when.Add(time.Duration(i) * time.Minute),
		}
		hash, err := wt.Commit("Release "+v, &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
		if err != nil {
			t.Fatalf("testenv: TaggedRecipe: version %s: git commit: %v", v, err)
			return ""
		}
		// Annotated, as abra recipe release tags (abra's lint R014 wants it).
		if _, err := repo.CreateTag(v, hash, &git.CreateTagOptions{Tagger: sig, Message: v}); err != nil {
			t.Fatalf("testenv: TaggedRecipe: version %s: git tag: %v", v, err)
			return ""
		}
	}
	return repoDir
}

// versionFolders returns the names of the subfolders of dir sorted by
// semantic version, oldest first. Each must be a version tag,
// [v]MAJOR.MINOR.PATCH[-PRERELEASE][+UPSTREAM]; equal recipe versions are
// ordered by name.
func versionFolders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	parsed := map[string]*semver.Version{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		recipePart, _, _ := strings.Cut(strings.TrimPrefix(e.Name(), "v"), "+")
		v, err := semver.StrictNewVersion(recipePart)
		if err != nil {
			return nil, fmt.Errorf("%s: folder %q is not named by a version tag (MAJOR.MINOR.PATCH[+UPSTREAM]): %v",
				dir, e.Name(), err)
		}
		names = append(names, e.Name())
		parsed[e.Name()] = v
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s holds no version folder", dir)
	}
	sort.Slice(names, func(i, j int) bool {
		if c := parsed[names[i]].Compare(parsed[names[j]]); c != 0 {
			return c < 0
		}
		return names[i] < names[j]
	})
	return names, nil
}

// clearWorktree removes everything in repoDir but the .git folder.
func clearWorktree(repoDir string) error {
	entries, err := os.ReadDir(repoDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == git.GitDirName {
			continue
		}
		if err := os.RemoveAll(filepath.Join(repoDir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies the folders and regular files under src into dst, keeping
// the permission bits; anything else (a symlink, ...) is an error.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		}
		return fmt.Errorf("%s: not a regular file or folder", path)
	})
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
