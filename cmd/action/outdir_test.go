package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
)

// The pull request saved beside the results for a later publish goes into
// the output folder like every output: a symlink the checkout planted as
// event.json is replaced, its target left alone.
func TestSavedPullRequestFollowsNoSymlink(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("the runner's file"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "recipe-test-results")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(out, "event.json")); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action":"opened","number":7,"pull_request":{"number":7,"head":{"sha":"0123456789abcdef0123456789abcdef01234567","ref":"fix"},"base":{"ref":"main"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "GITHUB_EVENT_PATH" {
			return event
		}
		return ""
	}
	if err := savePullRequest(getenv, out); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "the runner's file" {
		t.Errorf("the symlink's target was written: %q", data)
	}
	st, err := os.Lstat(filepath.Join(out, "event.json"))
	if err != nil || !st.Mode().IsRegular() {
		t.Fatalf("event.json: %v %v", st, err)
	}
	if ev, err := forge.ReadEvent(filepath.Join(out, "event.json")); err != nil || ev.PR != 7 {
		t.Errorf("saved event: %+v %v", ev, err)
	}
}
