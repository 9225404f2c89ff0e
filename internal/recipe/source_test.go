package recipe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

type testRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	when time.Time
}

func initRepo(t *testing.T, dir string) *testRepo {
	t.Helper()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testRepo{t: t, dir: dir, repo: repo, when: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (r *testRepo) sig() *object.Signature {
	r.when = r.when.Add(time.Minute)
	return &object.Signature{Name: "Test", Email: "test@example.org", When: r.when}
}

// commit writes files (slash paths), stages everything and commits.
func (r *testRepo) commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		path := filepath.Join(r.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		r.t.Fatal(err)
	}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: r.sig()})
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

func (r *testRepo) tag(name, commit string, annotated bool) {
	r.t.Helper()
	var opts *git.CreateTagOptions
	if annotated {
		opts = &git.CreateTagOptions{Tagger: r.sig(), Message: "release " + name}
	}
	if _, err := r.repo.CreateTag(name, plumbing.NewHash(commit), opts); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) setRef(name, commit string) {
	r.t.Helper()
	ref := plumbing.NewHashReference(plumbing.ReferenceName(name), plumbing.NewHash(commit))
	if err := r.repo.Storer.SetReference(ref); err != nil {
		r.t.Fatal(err)
	}
}

// fixture is a recipe repository with tricky tags, a branch "feature" and a
// pull request ref whose commit is on no branch.
type fixture struct {
	dir string
	c   map[string]string // name -> commit
}

func newFixture(t *testing.T) fixture {
	r := initRepo(t, t.TempDir())
	c := map[string]string{}
	for i, tag := range []string{"1.9.0+x", "1.10.0+x", "2.0.0-rc.1+x", "2.0.0+x", "v2.1.0+y"} {
		c[tag] = r.commit(tag, map[string]string{"compose.yml": "# " + tag + "\n"})
		r.tag(tag, c[tag], i%2 == 0)
	}
	r.tag("latest", c["v2.1.0+y"], false)
	r.tag("test-foo", c["2.0.0+x"], true)
	c["main"] = r.commit("notes", map[string]string{"release/2.0.0+x": "Notes for 2.0.0\n"})
	c["feature"] = r.commit("feature", map[string]string{"compose.yml": "# feature\n"})
	c["pr"] = r.commit("pr", map[string]string{"compose.yml": "# pr\n"})
	r.setRef("refs/heads/feature", c["feature"])
	r.setRef("refs/pull/5/head", c["pr"])
	r.setRef("refs/heads/main", c["main"])
	wt, _ := r.repo.Worktree()
	if err := wt.Checkout(&git.CheckoutOptions{Branch: "refs/heads/main", Force: true}); err != nil {
		t.Fatal(err)
	}
	return fixture{dir: r.dir, c: c}
}

func readCompose(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFetchRefs(t *testing.T) {
	f := newFixture(t)
	locations := map[string]string{"file URL": "file://" + f.dir, "local path": f.dir}
	tests := []struct{ ref, commit, compose string }{
		{"2.0.0+x", f.c["2.0.0+x"], "# 2.0.0+x\n"},                // lightweight tag
		{"2.0.0-rc.1+x", f.c["2.0.0-rc.1+x"], "# 2.0.0-rc.1+x\n"}, // annotated tag
		{"refs/tags/v2.1.0+y", f.c["v2.1.0+y"], "# v2.1.0+y\n"},
		{"feature", f.c["feature"], "# feature\n"},
		{"refs/heads/feature", f.c["feature"], "# feature\n"},
		{f.c["1.10.0+x"][:7], f.c["1.10.0+x"], "# 1.10.0+x\n"},
		{f.c["1.9.0+x"], f.c["1.9.0+x"], "# 1.9.0+x\n"},
		{"refs/pull/5/head", f.c["pr"], "# pr\n"},
		{f.c["pr"][:8], f.c["pr"], "# pr\n"}, // hash only reachable from a pull ref
	}
	for lname, loc := range locations {
		for _, tt := range tests {
			t.Run(lname+"/"+tt.ref, func(t *testing.T) {
				src, err := Fetch(context.Background(), loc, tt.ref, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				if src.Commit != tt.commit || !src.IsGit || src.Ref != tt.ref || src.Location != loc {
					t.Errorf("Fetch = %+v, want commit %s", src, tt.commit)
				}
				if src.Dir == f.dir {
					t.Errorf("Fetch with a ref used the source folder in place")
				}
				if got := readCompose(t, src.Dir); got != tt.compose {
					t.Errorf("compose.yml = %q, want %q", got, tt.compose)
				}
			})
		}
	}
}

func TestFetchEmptyRef(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(filepath.Join(f.dir, "compose.yml"), []byte("# uncommitted\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Fetch(context.Background(), f.dir, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if src.Dir != f.dir || src.Commit != f.c["main"] || !src.IsGit {
		t.Errorf("Fetch(local, \"\") = %+v, want the working tree at %s", src, f.c["main"])
	}
	if got := readCompose(t, src.Dir); got != "# uncommitted\n" {
		t.Errorf("working tree not used as is: compose.yml = %q", got)
	}
	src, err = Fetch(context.Background(), "file://"+f.dir, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if src.Commit != f.c["main"] || readCompose(t, src.Dir) != "# v2.1.0+y\n" {
		t.Errorf("Fetch(file URL, \"\") = %+v, want the default branch at %s", src, f.c["main"])
	}
}

func TestFetchErrors(t *testing.T) {
	f := newFixture(t)
	missing := filepath.Join(t.TempDir(), "no-such-recipe")
	tests := []struct {
		name, loc, ref string
		is             error
		says           []string
	}{
		{"missing ref", "file://" + f.dir, "nope", ErrRefNotFound, []string{`"nope"`, f.dir, "not found"}},
		{"missing ref local", f.dir, "1.0.0+nope", ErrRefNotFound, []string{`"1.0.0+nope"`, f.dir}},
		{"missing pull ref", f.dir, "refs/pull/99/head", ErrRefNotFound, []string{"refs/pull/99/head"}},
		{"missing hash", f.dir, "deadbeef", ErrRefNotFound, []string{"deadbeef"}},
		{"missing repo URL", "file://" + missing, "", ErrRepositoryNotFound, []string{missing, "not found"}},
		{"missing repo path", missing, "1.0.0+x", ErrRepositoryNotFound, []string{missing}},
		{"plain folder with ref", t.TempDir(), "main", nil, []string{`ref "main" given`, "not a git repository"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			_, err := Fetch(context.Background(), tt.loc, tt.ref, work)
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if left, _ := os.ReadDir(work); len(left) != 0 {
				t.Errorf("failed fetch left %d entries in the work dir", len(left))
			}
		})
	}
}

func TestFetchPlainFolder(t *testing.T) {
	dir := t.TempDir()
	src, err := Fetch(context.Background(), dir, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if src.Dir != dir || src.IsGit || src.Commit != "" {
		t.Errorf("Fetch(plain folder) = %+v", src)
	}
}

func TestFetchCancelled(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, loc := range []string{"file://" + f.dir, f.dir} {
		for _, ref := range []string{"", "2.0.0+x"} {
			_, err := Fetch(ctx, loc, ref, t.TempDir())
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), f.dir) {
				t.Errorf("Fetch(%s, %q) with cancelled context: %v, want context.Canceled naming the location", loc, ref, err)
			}
		}
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := Fetch(ctx, "file://"+f.dir, "feature", t.TempDir()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fetch after deadline: %v, want context.DeadlineExceeded", err)
	}
}

func TestFetchThenListVersions(t *testing.T) {
	f := newFixture(t)
	src, err := Fetch(context.Background(), "file://"+f.dir, "main", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ListVersions(src.Dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1.9.0+x", "1.10.0+x", "2.0.0-rc.1+x", "2.0.0+x", "v2.1.0+y"}
	if got := tagsOf(vs); !slices.Equal(got, want) {
		t.Fatalf("ListVersions after clone = %v, want %v (latest, test-foo ignored)", got, want)
	}
	for _, v := range vs {
		if v.Commit != f.c[v.Tag] {
			t.Errorf("%s: Commit = %s, want %s", v.Tag, v.Commit, f.c[v.Tag])
		}
	}
	if vs[3].Notes != "Notes for 2.0.0\n" || vs[4].Notes != "" {
		t.Errorf("notes = %q / %q", vs[3].Notes, vs[4].Notes)
	}
	if prev, ok := PreviousVersion(vs, VersionAtCommit(vs, src.Commit)); !ok || prev.Tag != "v2.1.0+y" {
		t.Errorf("PreviousVersion for main = %q, %v; want v2.1.0+y", prev.Tag, ok)
	}
}

// A URL's credentials never show in a fetch error (whether the server
// refuses the clone or cannot be reached), and the error still says what
// went wrong.
func TestFetchHidesURLCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such repository: "+r.URL.String(), http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	const secret = "tok3n-s3cr3t-value"
	for _, loc := range []string{
		strings.Replace(srv.URL, "://", "://user:"+secret+"@", 1) + "/o/r.git",
		strings.Replace(srv.URL, "://", "://"+secret+"@", 1) + "/o/r.git",
		"https://user:" + secret + "@127.0.0.1:1/o/r.git",
	} {
		_, err := Fetch(context.Background(), loc, "", t.TempDir())
		if err == nil {
			t.Fatalf("Fetch(%s) succeeded", loc)
		}
		if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "***@127.0.0.1") {
			t.Errorf("Fetch error %q shows the credential or not the URL", err)
		}
		if !errors.Is(err, ErrRepositoryNotFound) {
			t.Errorf("error %v is not ErrRepositoryNotFound", err)
		}
	}
}
