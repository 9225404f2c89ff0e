package recipe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A recipe's own files may not be symlinks out of it: a .env.sample linked
// to /proc/self/environ would put recipe-test's whole environment (its
// tokens) into the app's env, a compose file or abra.sh linked to a host
// file would show it in errors and reports.
func TestRecipeFilesStayInTheRecipe(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_runnerTokenMustNotLeak")
	host := filepath.Join(t.TempDir(), "host-file")
	if err := os.WriteFile(host, []byte("TYPE=x\nGITHUB_TOKEN=ghp_fromAHostFile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		file, target, want string
		resolve            bool
	}{
		"env sample to the process environment": {file: ".env.sample", target: "/proc/self/environ", want: ".env.sample: .env.sample is a symlink to /proc/"},
		"env sample to a host file":             {file: ".env.sample", target: host, want: ".env.sample: .env.sample is a symlink to " + host + ", which is outside the recipe"},
		"abra.sh":                               {file: "abra.sh", target: host, want: "abra.sh: abra.sh is a symlink to " + host},
		"compose file":                          {file: "compose.yml", target: host, want: "compose.yml: compose.yml is a symlink to " + host, resolve: true},
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{".env.sample": "TYPE=demo\nDOMAIN=demo.example.com\n", "compose.yml": "version: \"3.8\"\nservices:\n  app:\n    image: nginx:1.27\n"}
			delete(files, tc.file)
			dir := writeRecipe(t, files)
			if err := os.Symlink(tc.target, filepath.Join(dir, tc.file)); err != nil {
				t.Fatal(err)
			}
			r, err := LoadDir(dir)
			if tc.resolve && err == nil {
				_, err = r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org"})
			}
			if !IsConfigError(err) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "ghp_") {
				t.Fatalf("err = %v, want a ConfigError with %q", err, tc.want)
			}
		})
	}
	// A symlink that stays inside the recipe is fine.
	dir := writeRecipe(t, map[string]string{".env.sample": "TYPE=demo\nDOMAIN=demo.example.com\nCOMPOSE_FILE=compose.yml\n",
		"compose.real.yml": "version: \"3.8\"\nservices:\n  app:\n    image: nginx:1.27\n"})
	if err := os.Symlink("compose.real.yml", filepath.Join(dir, "compose.yml")); err != nil {
		t.Fatal(err)
	}
	r, err := LoadDir(dir)
	if err == nil {
		_, err = r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org"})
	}
	if err != nil {
		t.Errorf("a symlink inside the recipe: %v", err)
	}
}
