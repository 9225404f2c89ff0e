package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindChromium(t *testing.T) {
	dir := t.TempDir()
	shell := filepath.Join(dir, "chromium-headless-shell")
	os.WriteFile(shell, []byte("#!/bin/sh\n"), 0o755)
	notExec := filepath.Join(dir, "not-executable")
	os.WriteFile(notExec, []byte(""), 0o644)
	onPath := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, n := range names {
				if n == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	for name, c := range map[string]struct {
		lookPath func(string) (string, error)
		shell    string
		want     string // "" = an error
	}{
		"the headless shell first":        {onPath("chromium"), shell, shell},
		"a full chromium as the fallback": {onPath("chromium", "google-chrome"), filepath.Join(dir, "absent"), "/usr/bin/chromium"},
		"the shell's wrapper elsewhere":   {onPath("chromium-headless-shell", "chromium"), filepath.Join(dir, "absent"), "/usr/bin/chromium-headless-shell"},
		"a non-executable shell is none":  {onPath("chromium"), notExec, "/usr/bin/chromium"},
		"nothing":                         {onPath(), filepath.Join(dir, "absent"), ""},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := findChromium(c.lookPath, c.shell)
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), "install chromium-headless-shell") {
					t.Errorf("got %q, %v; want an error", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
