package runner

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The tests' screenshots are listed oldest first; an earlier run's, a
// file that is not a PNG and a symlink a test planted are not.
func TestSavedScreenshots(t *testing.T) {
	dir := t.TempDir()
	if got, err := savedScreenshots(dir, CustomDir, time.Now()); err != nil || got != nil {
		t.Fatalf("no screenshots folder: %v %v", got, err)
	}
	shots := filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	for name, at := range map[string]time.Time{
		"stale.png":  started.Add(-time.Hour), // an earlier run's
		"login.png":  started.Add(2 * time.Second),
		"home.png":   started.Add(time.Second),
		"notes.txt":  started.Add(3 * time.Second),
		"edited.png": started.Add(3 * time.Second),
	} {
		p := filepath.Join(shots, name)
		if err := os.WriteFile(p, []byte("\x89PNG\r\n\x1a\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(shots, "planted.png")); err != nil {
		t.Fatal(err)
	}
	got, err := savedScreenshots(dir, CustomDir, started)
	want := []string{"custom/screenshots/home.png", "custom/screenshots/login.png", "custom/screenshots/edited.png"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}
