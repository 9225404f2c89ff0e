package testenv

import (
	"os"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// CorpusDir is where the shared corpus of real public recipes lives, beside
// the checkout. Tests that read it skip when it is absent.
func CorpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared", "corpus", "recipes")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus of real recipes not found at %s (it sits beside the checkout): %v", dir, err)
	}
	return dir
}

var fileRefRe = regexp.MustCompile(`(?m)^\s+file:\s*(\S+)`)

// CorpusCopy copies a corpus recipe into a writable temporary folder. The
// corpus leaves out shell scripts, so with placeholders it also creates
// every file a compose `file:` entry names that is missing.
func CorpusCopy(t testing.TB, name string, placeholders bool) string {
	t.Helper()
	src := filepath.Join(CorpusDir(t), name)
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		if !placeholders || d.IsDir() || !strings.HasPrefix(d.Name(), "compose") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range fileRefRe.FindAllStringSubmatch(string(data), -1) {
			ref := filepath.Join(dst, m[1])
			if _, err := os.Stat(ref); os.IsNotExist(err) {
				_ = os.MkdirAll(filepath.Dir(ref), 0o755)
				if err := os.WriteFile(ref, []byte("# placeholder for a script the corpus leaves out\n"), 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// CorpusRepo makes a git repository of a corpus recipe (CorpusCopy with
// placeholders, without the corpus's TAGS.txt and SOURCE.txt) whose tags
// are those TAGS.txt lists (maybe none), oldest first, each on a commit
// of its own, with one more commit after the newest on main, the default
// branch; annotated where TAGS.txt says the upstream tag is ("tag"),
// lightweight otherwise ("commit"). It returns the folder and the tags.
func CorpusRepo(t testing.TB, name string) (string, []string) {
	t.Helper()
	dir := CorpusCopy(t, name, true)
	tags := CorpusTags(t, name)
	for _, f := range []string{"TAGS.txt", "SOURCE.txt"} {
		os.Remove(filepath.Join(dir, f))
	}
	repo, hash := CommitAll(t, dir, "Import "+name)
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	annotated := corpusAnnotated(t, name)
	for i, tag := range tags {
		sig := fixtureSig(i + 1)
		var opts *git.CreateTagOptions // lightweight, unless TAGS.txt says "tag"
		if annotated[tag] {
			opts = &git.CreateTagOptions{Tagger: sig, Message: tag}
		}
		if _, err := repo.CreateTag(tag, hash, opts); err != nil {
			t.Fatalf("testenv: tag %s: %v", tag, err)
		}
		if hash, err = wt.Commit("After "+tag, &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true}); err != nil {
			t.Fatal(err)
		}
	}
	return dir, tags
}

// CorpusTags lists a corpus recipe's tags from its TAGS.txt (`name type
// date` lines, oldest first); maybe none.
func CorpusTags(t testing.TB, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(CorpusDir(t), name, "TAGS.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			tags = append(tags, f[0])
		}
	}
	return tags
}

// corpusAnnotated lists the corpus recipe's tags that TAGS.txt says are
// annotated (type "tag"; a lightweight tag's type is "commit").
func corpusAnnotated(t testing.TB, name string) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(CorpusDir(t), name, "TAGS.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "tag" {
			out[f[0]] = true
		}
	}
	return out
}

// CommitAll makes dir a git repository (on main) unless it is one, and
// commits every file in it.
func CommitAll(t testing.TB, dir, message string) (*git.Repository, plumbing.Hash) {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		repo, err = git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.Main}})
	}
	if err != nil {
		t.Fatalf("testenv: git init %s: %v", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatalf("testenv: git add in %s: %v", dir, err)
	}
	sig := fixtureSig(0)
	hash, err := wt.Commit(message, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatalf("testenv: git commit in %s: %v", dir, err)
	}
	return repo, hash
}

// fixtureSig is the author of fixture commits: fixed dates a minute apart.
func fixtureSig(i int) *object.Signature {
	return &object.Signature{Name: "upstream author", Email: "author@example.com",
		When: time.Date(2026, 7, 8, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)}
}

// RecipeRepo makes a git repository of a real recipe with its release
// tags: the corpus recipe name (see CorpusRepo) when the corpus is beside
// the checkout, else the bundled upgrade fixture (two tagged releases,
// see TaggedRecipe), so that tests needing a recipe repository run
// everywhere. It returns the folder, the recipe's name and its tags,
// oldest first.
func RecipeRepo(t testing.TB, name string) (dir, recipeName string, tags []string) {
	t.Helper()
	if name == "" {
		t.Fatal("testenv: RecipeRepo: no corpus recipe named")
	}
	if _, err := os.Stat(filepath.Join(RepoRoot(t), "..", "shared", "corpus", "recipes", name)); err == nil {
		dir, tags = CorpusRepo(t, name)
		return dir, name, tags
	}
	t.Logf("testenv: corpus recipe %s not found beside the checkout: using testdata/recipes/upgrade", name)
	dir = TaggedRecipe(t, filepath.Join(RepoRoot(t), "testdata", "recipes", "upgrade"))
	return dir, "upgrade", []string{"1.0.0+1.0", "2.0.0+2.0"}
}
