package recipe

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		tag, recipe, upstream string
		wantErr               bool
	}{
		{tag: "1.2.0+3.4.5", recipe: "1.2.0", upstream: "3.4.5"},
		{tag: "2.0.1+1.0.6-social-amd64", recipe: "2.0.1", upstream: "1.0.6-social-amd64"},
		{tag: "0.3.0+17-3.5", recipe: "0.3.0", upstream: "17-3.5"},
		{tag: "1.0.0+latest", recipe: "1.0.0", upstream: "latest"},
		{tag: "v1.2.3+x", recipe: "1.2.3", upstream: "x"},
		{tag: "2.0.0-rc.1+x", recipe: "2.0.0-rc.1", upstream: "x"},
		{tag: "1.2.3+a+b", recipe: "1.2.3", upstream: "a+b"},
		{tag: "1.2.3", recipe: "1.2.3", upstream: ""},
		{tag: "latest", wantErr: true},
		{tag: "test-foo", wantErr: true},
		{tag: "1.2+3.4.5", wantErr: true},
		{tag: "01.2.3+x", wantErr: true},
		{tag: "1.2.3+", wantErr: true},
		{tag: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			v, err := ParseVersion(tt.tag)
			if tt.wantErr {
				if !errors.Is(err, ErrNotVersion) || !strings.Contains(err.Error(), tt.tag) {
					t.Fatalf("ParseVersion(%q) error = %v, want ErrNotVersion naming the tag", tt.tag, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tt.tag, err)
			}
			if v.Tag != tt.tag || v.Recipe.String() != tt.recipe || v.Upstream != tt.upstream {
				t.Errorf("ParseVersion(%q) = {%q %q %q}, want {%q %q %q}",
					tt.tag, v.Tag, v.Recipe, v.Upstream, tt.tag, tt.recipe, tt.upstream)
			}
		})
	}
}

func mustVersions(t *testing.T, tags ...string) []Version {
	t.Helper()
	var vs []Version
	for _, tag := range tags {
		v, err := ParseVersion(tag)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func tagsOf(vs []Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Tag)
	}
	return out
}

func TestSortVersions(t *testing.T) {
	want := []string{"0.9.0+z", "1.9.0+x", "1.10.0+x", "2.0.0-rc.1+x", "2.0.0-rc.2+x",
		"2.0.0+a", "2.0.0+b", "v2.0.1+x", "10.0.0+1"}
	vs := mustVersions(t, "10.0.0+1", "2.0.0+b", "v2.0.1+x", "1.10.0+x", "2.0.0-rc.2+x",
		"2.0.0+a", "0.9.0+z", "2.0.0-rc.1+x", "1.9.0+x")
	SortVersions(vs)
	if got := tagsOf(vs); !slices.Equal(got, want) {
		t.Fatalf("SortVersions = %v\nwant %v", got, want)
	}
	for i := range vs {
		for j := range vs {
			if got := vs[i].Less(vs[j]); got != (i < j) {
				t.Errorf("%s.Less(%s) = %v", vs[i].Tag, vs[j].Tag, got)
			}
		}
	}
}

func TestPreviousVersion(t *testing.T) {
	vs := mustVersions(t, "1.0.0+a", "1.1.0+a", "2.0.0-rc.1+b", "2.0.0+b")
	for i, c := range []string{"c1", "c2", "c3", "c4"} {
		vs[i].Commit = c
	}
	cur := func(tag string) *Version { v := mustVersions(t, tag)[0]; return &v }
	tests := []struct {
		name    string
		current *Version
		want    string // "" = none
	}{
		{"newest tag", cur("2.0.0+b"), "2.0.0-rc.1+b"},
		{"prerelease", cur("2.0.0-rc.1+b"), "1.1.0+a"},
		{"oldest", cur("1.0.0+a"), ""},
		{"unreleased newer tag", cur("3.0.0+c"), "2.0.0+b"},
		{"branch", nil, "2.0.0+b"},
		{"branch at newest release", VersionAtCommit(vs, "c4"), "2.0.0-rc.1+b"},
		{"branch at unknown commit", VersionAtCommit(vs, "cx"), "2.0.0+b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := PreviousVersion(vs, tt.current)
			if ok != (tt.want != "") || got.Tag != tt.want {
				t.Errorf("PreviousVersion = %q, %v; want %q", got.Tag, ok, tt.want)
			}
		})
	}
	if _, ok := PreviousVersion(nil, nil); ok {
		t.Error("PreviousVersion(nil, nil) found a version")
	}
}

// corpusRecipe returns the path of a corpus recipe, skipping when absent.
func corpusRecipe(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "recipes", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("recipe corpus not available at %s (%v): skipping", dir, err)
	}
	return dir
}

// corpusRepo builds a git repository from a corpus recipe: its files in a
// first commit, then each tag of TAGS.txt, oldest first, on its own commit,
// alternating annotated and lightweight tags. It returns the repo dir, the tags
// and the commit each tag is on.
func corpusRepo(t *testing.T, name string) (string, []string, map[string]string) {
	t.Helper()
	src := corpusRecipe(t, name)
	dir := t.TempDir()
	copyTree(t, src, dir)
	r := initRepo(t, dir)
	r.commit("import "+name, nil)
	data, err := os.ReadFile(filepath.Join(src, "TAGS.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	commits := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		tag := fields[0]
		c := r.commit("release "+tag, map[string]string{"marker.txt": tag})
		r.tag(tag, c, i%2 == 0)
		tags, commits[tag] = append(tags, tag), c
	}
	return dir, tags, commits
}

// copyTree copies the (read-only) corpus files, making the copies writable.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
}

func TestListVersionsCorpus(t *testing.T) {
	for _, name := range []string{"bonfire", "gaseous", "go-ssb-room", "llamenos"} {
		t.Run(name, func(t *testing.T) {
			dir, tags, commits := corpusRepo(t, name)
			vs, err := ListVersions(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tags)
			slices.SortFunc(want, func(a, b string) int {
				return compareVersions(mustVersions(t, a)[0], mustVersions(t, b)[0])
			})
			if got := tagsOf(vs); !slices.Equal(got, want) {
				t.Fatalf("ListVersions = %v, want %v", got, want)
			}
			for _, v := range vs {
				if v.Commit != commits[v.Tag] {
					t.Errorf("%s: Commit = %s, want %s", v.Tag, v.Commit, commits[v.Tag])
				}
			}
		})
	}
}

func TestListVersionsBonfireNotes(t *testing.T) {
	dir, _, _ := corpusRepo(t, "bonfire")
	vs, err := ListVersions(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1.0.0+1.0.5-social-amd64", "2.0.0+1.0.5-social-amd64", "2.0.1+1.0.6-social-amd64"}
	if got := tagsOf(vs); !slices.Equal(got, want) {
		t.Fatalf("ListVersions = %v, want %v", got, want)
	}
	for _, v := range vs[:2] {
		b, err := os.ReadFile(filepath.Join(corpusRecipe(t, "bonfire"), "release", v.Tag))
		if err != nil {
			t.Fatal(err)
		}
		if v.Notes == "" || v.Notes != string(b) {
			t.Errorf("%s: Notes = %q, want release/%s", v.Tag, v.Notes, v.Tag)
		}
	}
	if vs[2].Notes != "" {
		t.Errorf("%s has no notes file but Notes = %q", vs[2].Tag, vs[2].Notes)
	}
	if !strings.Contains(vs[0].Notes, "first release") {
		t.Errorf("1.0.0 notes = %q", vs[0].Notes)
	}
	if prev, ok := PreviousVersion(vs, &vs[2]); !ok || prev.Tag != want[1] {
		t.Errorf("PreviousVersion(%s) = %q, %v", want[2], prev.Tag, ok)
	}
}

func TestListVersionsPlainFolder(t *testing.T) {
	vs, err := ListVersions(t.TempDir())
	if err != nil || vs != nil {
		t.Fatalf("ListVersions(plain folder) = %v, %v; want nil, nil", vs, err)
	}
}

func TestListVersionsUnreadableNotes(t *testing.T) {
	dir := t.TempDir()
	r := initRepo(t, dir)
	r.tag("1.0.0+x", r.commit("one", map[string]string{"release/1.0.0+x/oops": "a folder"}), false)
	_, err := ListVersions(dir)
	if !IsConfigError(err) || !strings.Contains(err.Error(), "release/1.0.0+x") {
		t.Fatalf("ListVersions error = %v, want a ConfigError naming release/1.0.0+x", err)
	}
}
