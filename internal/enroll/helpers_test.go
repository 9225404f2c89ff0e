package enroll_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

var sig = &object.Signature{Name: "upstream author", Email: "author@example.com", When: time.Date(2026, 7, 8, 12, 0, 0, 0, time.UTC)}

// ciRepo makes the CI repository's source: a README and the real example
// enrollment, on main.
func ciRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := testenv.RepoRoot(t)
	files := map[string]string{"README.md": "# recipe-test\n"}
	for _, f := range []string{"recipe.toml", "PARITY.md", "example_test.go"} {
		data, err := os.ReadFile(filepath.Join(root, "recipes", "example", f))
		if err != nil {
			t.Fatal(err)
		}
		files["recipes/example/"+f] = string(data)
	}
	writeFiles(t, dir, files)
	testenv.CommitAll(t, dir, "CI repository")
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lsRemote lists a repository's branches and tags (full ref name to hash).
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
		if strings.HasPrefix(n, "refs/heads/") || strings.HasPrefix(n, "refs/tags/") {
			out[n] = r.Hash().String()
		}
	}
	return out
}
