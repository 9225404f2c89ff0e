package mirror_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopGitea()
	os.Exit(code)
}

// upstreamSource makes a git repository as a recipe's upstream has them:
// branches main and feature, a lightweight tag and an annotated one (whose
// ref names the tag object, not the commit).
func upstreamSource(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte("services:\n  app:\n    image: nginx:1.27\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	repo, first := testenv.CommitAll(t, dir, "First release")
	if _, err := repo.CreateTag("1.0.0+1.27", first, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, second := testenv.CommitAll(t, dir, "Add a README")
	sig := &object.Signature{Name: "maintainer", Email: "maintainer@example.com", When: time.Date(2026, 7, 9, 12, 0, 0, 0, time.UTC)}
	if _, err := repo.CreateTag("1.0.1+1.27", second, &git.CreateTagOptions{Tagger: sig, Message: "1.0.1+1.27"}); err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference("refs/heads/feature", first)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cloneUpstream clones url with every branch (as remote branches) and
// tag, as enroll's clone of upstream.
func cloneUpstream(t *testing.T, url string, auth transport.AuthMethod) *git.Repository {
	t.Helper()
	r, err := git.PlainCloneContext(t.Context(), t.TempDir(), false, &git.CloneOptions{URL: url, Auth: auth, Tags: git.AllTags})
	if err != nil {
		t.Fatalf("clone %s: %v", url, err)
	}
	return r
}

// lsRemote lists a repository's branches and tags (full ref name to the
// object it names).
func lsRemote(t *testing.T, url string, auth transport.AuthMethod) map[string]string {
	t.Helper()
	rem := git.NewRemote(nil, &config.RemoteConfig{Name: "origin", URLs: []string{url}})
	refs, err := rem.ListContext(context.Background(), &git.ListOptions{Auth: auth})
	if err != nil {
		t.Fatalf("ls-remote %s: %v", url, err)
	}
	out := map[string]string{}
	for _, r := range refs {
		n := r.Name().String()
		if (strings.HasPrefix(n, "refs/heads/") || strings.HasPrefix(n, "refs/tags/")) && !strings.HasSuffix(n, "^{}") {
			out[n] = r.Hash().String()
		}
	}
	return out
}

// sameRefs fails t unless the mirror's refs are upstream's, which must
// include every branch and tag upstreamSource makes.
func sameRefs(t *testing.T, mirror, upstream map[string]string) {
	t.Helper()
	for _, name := range []string{"refs/heads/main", "refs/heads/feature", "refs/tags/1.0.0+1.27", "refs/tags/1.0.1+1.27"} {
		if upstream[name] == "" {
			t.Errorf("upstream lacks %s: %v", name, upstream)
		}
	}
	if len(mirror) != len(upstream) {
		t.Errorf("mirror refs %v, upstream %v", mirror, upstream)
	}
	for name, h := range upstream {
		if mirror[name] != h {
			t.Errorf("mirror %s = %q, upstream %q", name, mirror[name], h)
		}
	}
}
