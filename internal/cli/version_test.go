package cli

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/buildinfo"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// A binary built with the linker flag the Dockerfile and the release
// workflow pass prints the stamped version for --version and for the
// version command alike.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "recipe-test")
	const stamp = "v9.8.7-3-gabcdef0-dirty"
	build := exec.CommandContext(t.Context(), "go", "build", "-trimpath",
		"-ldflags", "-s -w -X "+buildinfo.ImportPath+".version="+stamp, "-o", bin, "../../cmd/recipe-test")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.CommandContext(t.Context(), bin, args...).CombinedOutput()
		if err != nil || string(out) != "recipe-test "+stamp+"\n" {
			t.Errorf("recipe-test %s printed %q (%v)", strings.Join(args, " "), out, err)
		}
	}
}

// In process (an unstamped test binary), both print the same line.
func TestVersionFlagAndCommandAgree(t *testing.T) {
	code1, out1, _ := runCLI(t, "--version")
	code2, out2, _ := runCLI(t, "version")
	if code1 != exitOK || code2 != exitOK || out1 != out2 || out1 != "recipe-test "+buildinfo.Version()+"\n" {
		t.Errorf("--version: %d %q; version: %d %q", code1, out1, code2, out2)
	}
}

// gitDescribe is the version the release workflow stamps, for this
// checkout (the image tests compare against it).
func gitDescribe(t *testing.T) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = testenv.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git describe: %v", err)
	}
	return strings.TrimSpace(string(out))
}
