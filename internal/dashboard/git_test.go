package dashboard

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// historyRepo makes a repository whose branch "results" keeps runs under
// history/ (and one elsewhere), while its checked-out branch has none.
func historyRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	save(t, dir, "history/example/2026-11-01", fixture("example", 0, 2, false, ""))
	save(t, dir, "history/example/2026-11-02", fixture("example", 1, 4, true, "lint: R014"))
	save(t, dir, "history/keycloak/2026-11-02", fixture("keycloak", 1, 5, false, ""))
	saveBytes(t, dir, "history/broken", []byte("not json"))
	save(t, dir, "elsewhere", fixture("outside", 1, 1, false, ""))
	os.MkdirAll(filepath.Join(dir, "history", "link"), 0o755)
	if err := os.Symlink("../../elsewhere/results.json", filepath.Join(dir, "history", "link", ResultsFile)); err != nil {
		t.Fatal(err)
	}
	if err := wt.AddGlob("."); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "ci", Email: "ci@example.org", When: time.Now()}
	hash, err := wt.Commit("runs", &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference("refs/heads/results", hash)); err != nil {
		t.Fatal(err)
	}
	// The work tree moves on without them: the history is read from the ref.
	if _, err := wt.Remove("history"); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Commit("no runs here", &git.CommitOptions{Author: sig}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadGit(t *testing.T) {
	dir := historyRepo(t)
	var l Loaded
	if err := LoadGit(context.Background(), GitSource{Repo: dir, Ref: "results", Path: "history"}, &l); err != nil {
		t.Fatal(err)
	}
	recipes := Group(l.Entries)
	if len(recipes) != 2 || recipes[0].Name != "example" || len(recipes[0].Runs) != 2 || recipes[1].Name != "keycloak" {
		t.Fatalf("recipes %+v, want example (2 runs) and keycloak", recipes)
	}
	if src := recipes[0].Last().Source; src != dir+":results:history/example/2026-11-02/results.json" {
		t.Errorf("source %q", src)
	}
	problems := map[string]string{}
	for _, p := range l.Problems {
		problems[strings.TrimPrefix(p.Source, dir+":results:")] = p.Err.Error()
	}
	if !strings.Contains(problems["history/broken/results.json"], "not a results.json") ||
		!strings.Contains(problems["history/link/results.json"], "symlink") || len(problems) != 2 {
		t.Errorf("problems %v", problems)
	}

	// The whole tree, from inside the work tree, at a commit hash.
	var all Loaded
	head := gitRev(t, dir, "results")
	if err := LoadGit(context.Background(), GitSource{Repo: filepath.Join(dir, "elsewhere"), Ref: head}, &all); err != nil || len(all.Entries) != 4 {
		t.Errorf("whole tree at %s: %d runs, %v", head, len(all.Entries), err)
		for _, e := range all.Entries {
			t.Log(e.Source)
		}
	}
}

func gitRev(t *testing.T, dir, ref string) string {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func TestLoadGitErrors(t *testing.T) {
	dir := historyRepo(t)
	for name, c := range map[string]struct {
		src  GitSource
		want string
	}{
		"not a repository": {GitSource{Repo: t.TempDir(), Ref: "results"}, "open repository"},
		"no such ref":      {GitSource{Repo: dir, Ref: "nightly"}, "ref nightly"},
		"no such folder":   {GitSource{Repo: dir, Ref: "results", Path: "archive"}, "no folder archive"},
	} {
		var l Loaded
		err := LoadGit(context.Background(), c.src, &l)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.src.String()) {
			t.Errorf("%s: %v, want an error naming %s and saying %q", name, err, c.src, c.want)
		}
	}
}

func TestParseGitSource(t *testing.T) {
	for in, want := range map[string]GitSource{
		".:results":                  {Repo: ".", Ref: "results"},
		"/srv/ci:origin/results:/a/": {Repo: "/srv/ci", Ref: "origin/results", Path: "a"},
		"ci:v1:a/../b":               {Repo: "ci", Ref: "v1", Path: "b"},
		"ci:main:../..":              {Repo: "ci", Ref: "main"},
	} {
		if got, err := ParseGitSource(in); err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".", "repo", ":main", "repo:", "repo::x"} {
		if _, err := ParseGitSource(in); err == nil || !strings.Contains(err.Error(), "REPO:REF[:PATH]") {
			t.Errorf("%q: %v", in, err)
		}
	}
}
