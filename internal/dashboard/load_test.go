package dashboard

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A folder of artifacts: runs of two recipes in any order and depth, the
// same run kept twice, and files that are not runs, each named with why.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	save(t, dir, "night-2/example", fixture("example", 2, 1, true, "boom"))
	save(t, dir, "night-0/example", fixture("example", 0, 4, true, "older"))
	save(t, dir, "night-1/deep/er/example", fixture("example", 1, 3, true, "old"))
	save(t, dir, "copy-of-night-1", fixture("example", 1, 3, true, "old"))
	save(t, dir, "night-1/keycloak", fixture("keycloak", 1, 4, false, ""))
	save(t, dir, ".git/objects", fixture("ignored", 1, 4, false, "")) // never looked into
	bad := map[string]string{
		saveBytes(t, dir, "broken", []byte(`{"recipe": "x", `)):                                                                    "not a results.json: unexpected end of JSON input",
		saveBytes(t, dir, "empty-object", []byte(`{}`)):                                                                            "it names no recipe",
		saveBytes(t, dir, "no-start", []byte(`{"recipe": "x", "status": "pass"}`)):                                                 "no start time",
		saveBytes(t, dir, "odd-status", []byte(`{"recipe": "x", "status": "ok", "started": "2026-11-01T00:00:00Z"}`)):              `status "ok"`,
		saveBytes(t, dir, "odd-level", []byte(`{"recipe": "x", "status": "pass", "level": 9, "started": "2026-11-01T00:00:00Z"}`)): "level 9",
		saveBytes(t, dir, "array", []byte(`[]`)):                                                                                   "cannot unmarshal array",
	}
	dangling := filepath.Join(dir, "dangling", ResultsFile)
	os.MkdirAll(filepath.Dir(dangling), 0o755)
	if err := os.Symlink(filepath.Join(dir, "gone"), dangling); err != nil {
		t.Fatal(err)
	}
	bad[dangling] = "no such file"
	fifo := filepath.Join(dir, "fifo", ResultsFile)
	os.MkdirAll(filepath.Dir(fifo), 0o755)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	bad[fifo] = "not a regular file"
	os.WriteFile(filepath.Join(dir, "night-0", "junit.xml"), []byte("<testsuites/>"), 0o644) // not ours to read

	var l Loaded
	if err := LoadDir(context.Background(), dir, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 5 {
		t.Errorf("%d runs read, want 5: %+v", len(l.Entries), l.Entries)
	}
	got := map[string]string{}
	for _, p := range l.Problems {
		got[p.Source] = p.Err.Error()
	}
	for path, want := range bad {
		if !strings.Contains(got[path], want) {
			t.Errorf("%s: problem %q, want one saying %q", path, got[path], want)
		}
	}
	if len(l.Problems) != len(bad) {
		t.Errorf("%d problems, want %d: %v", len(l.Problems), len(bad), l.Problems)
	}

	recipes := Group(l.Entries)
	if len(recipes) != 2 || recipes[0].Name != "example" || recipes[1].Name != "keycloak" {
		t.Fatalf("recipes %+v, want example and keycloak", recipes)
	}
	ex := recipes[0]
	if len(ex.Runs) != 3 {
		t.Fatalf("example has %d runs, want 3 (the copy counted once)", len(ex.Runs))
	}
	for i, level := range []int{4, 3, 1} {
		if ex.Runs[i].Run.Level != level {
			t.Errorf("run %d of example: L%d, want L%d (oldest first)", i, ex.Runs[i].Run.Level, level)
		}
	}
	if last := ex.Last(); last.Run.Status != "fail" || !strings.HasSuffix(last.Source, filepath.Join("night-2", "example", ResultsFile)) {
		t.Errorf("last run of example: %s from %s", last.Run.Status, last.Source)
	}
	// The last run keeps its output for its report; the older ones, read
	// before and after it, do not.
	for i, e := range ex.Runs {
		out := ""
		for _, st := range e.Run.Stages {
			out += st.Output
		}
		if want := map[bool]string{true: "boom", false: ""}[i == len(ex.Runs)-1]; out != want {
			t.Errorf("run %d of example kept output %q, want %q", i, out, want)
		}
	}
}

func TestLoadDirErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for path, want := range map[string]string{
		filepath.Join(dir, "absent"): "no such file",
		file:                         "is not a folder",
	} {
		var l Loaded
		if err := LoadDir(context.Background(), path, &l); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming it and saying %q", path, err, want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	save(t, dir, "a", fixture("example", 0, 1, false, ""))
	var l Loaded
	if err := LoadDir(ctx, dir, &l); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSlug(t *testing.T) {
	for name, want := range map[string]string{
		"example":      "example",
		"lasuite-docs": "lasuite-docs",
		"my_app.v2":    "my_app.v2",
	} {
		if got := Slug(name); got != want {
			t.Errorf("Slug(%q) = %q, want %q", name, got, want)
		}
	}
	seen := map[string]string{}
	for _, name := range []string{"Example", "example ", "../etc/passwd", ".hidden", "<script>", "", "a/b", "a\\b", "a b", strings.Repeat("x", 200), "ÿ"} {
		s := Slug(name)
		if !plainName.MatchString(s) || s == name {
			t.Errorf("Slug(%q) = %q: not a plain file name of its own", name, s)
		}
		if other, ok := seen[s]; ok {
			t.Errorf("Slug(%q) = Slug(%q) = %q", name, other, s)
		}
		seen[s] = name
		if Slug(name) != s {
			t.Errorf("Slug(%q) is not stable", name)
		}
	}
}
