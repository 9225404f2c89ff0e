package outdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileOut builds an output folder as a checkout could commit it: our
// file names and folders as symlinks to the runner's files outside.
func hostileOut(t *testing.T) (out, victim, victimDir string) {
	t.Helper()
	host := t.TempDir()
	victim = filepath.Join(host, "victim.txt")
	if err := os.WriteFile(victim, []byte("runner's file"), 0o600); err != nil {
		t.Fatal(err)
	}
	victimDir = filepath.Join(host, "dir")
	if err := os.Mkdir(victimDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(t.TempDir(), "recipe-test-results")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"report.md": victim, "results.json": "report.md", "backup": victimDir, "custom": victimDir} {
		if err := os.Symlink(target, filepath.Join(out, name)); err != nil {
			t.Fatal(err)
		}
	}
	return out, victim, victimDir
}

func TestWritesNeverFollowSymlinks(t *testing.T) {
	out, victim, victimDir := hostileOut(t)
	d, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, name := range []string{"report.md", "results.json", "backup/app.tar", "custom/screenshots/page.png"} {
		if err := d.WriteFile(name, []byte("ours: "+name), 0o644); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
		st, err := os.Lstat(filepath.Join(out, name))
		if err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s is not a regular file of ours: %v %v", name, st, err)
		}
		if data, _ := os.ReadFile(filepath.Join(out, name)); string(data) != "ours: "+name {
			t.Errorf("%s holds %q", name, data)
		}
	}
	if data, _ := os.ReadFile(victim); string(data) != "runner's file" {
		t.Errorf("the symlink's target was overwritten: %q", data)
	}
	if entries, _ := os.ReadDir(victimDir); len(entries) != 0 {
		t.Errorf("files landed in the symlinked folder's target: %v", entries)
	}
}

func TestClearRemovesLinksNotTargets(t *testing.T) {
	out, victim, victimDir := hostileOut(t)
	if err := os.WriteFile(filepath.Join(victimDir, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Clear("report.md", "results.json", "backup", "custom", "absent.txt"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("left in the output folder: %v", entries)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("the target went: %v", err)
	}
	if _, err := os.Stat(filepath.Join(victimDir, "keep")); err != nil {
		t.Errorf("the folder target's content went: %v", err)
	}
}

func TestOpenChecksTheFolder(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{link: "is a symlink (to " + real + ")", file: "is not a folder"} {
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v, want %q", path, err, want)
		}
	}
	d, err := Open(filepath.Join(base, "new", "out"))
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if st, err := os.Stat(filepath.Join(base, "new", "out")); err != nil || !st.IsDir() {
		t.Errorf("not created: %v", err)
	}
	d, _ = Open(real)
	defer d.Close()
	for _, name := range []string{"../x", "/etc/passwd", ".", ""} {
		if _, err := d.Create(name, 0o644); err == nil {
			t.Errorf("Create(%q) was allowed", name)
		}
	}
}
