package recipe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileEnvCompose names env files whose key-only lines ask for the
// runner's secrets: Docker's loader would fill them from recipe-test's own
// process environment.
const hostileEnvCompose = `version: "3.8"
services:
  app:
    image: nginx:1.27
    env_file:
      - app.env
      - ${EXTRA_ENV_FILE}
    environment:
      - OVERRIDDEN=own
      - FROM_COMPOSE
      - INTERPOLATED=${GITHUB_TOKEN:-unset}
      - FROM_EXPANSION
`

func TestEnvFilesSeeOnlyTheAppEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_runnerTokenMustNotLeak")
	t.Setenv("INPUT_ENROLL-TOKEN", "enrollTokenMustNotLeak")
	t.Setenv("FROM_SAMPLE", "from-the-process")
	t.Setenv("FROM_COMPOSE", "from-the-process")
	dir := writeRecipe(t, map[string]string{
		".env.sample": "TYPE=demo\nDOMAIN=demo.example.com\nFROM_SAMPLE=sample\nEXTRA_ENV_FILE=more.env\nFROM_EXPANSION=\"${GITHUB_TOKEN}x\"\n",
		"compose.yml": hostileEnvCompose,
		"app.env":     "GITHUB_TOKEN\nINPUT_ENROLL-TOKEN\nFROM_SAMPLE\nLITERAL=a$b ${DOMAIN}\nEMPTY=\nOVERRIDDEN=file\nDOMAIN\n",
		"more.env":    "SECOND=2\nLITERAL=second wins $x\n",
	})
	r, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range app.Compose.Services[0].Environment {
		if v == nil {
			got[k] = "<nil>"
			continue
		}
		got[k] = *v
	}
	want := map[string]string{
		"FROM_SAMPLE":    "sample",                     // key-only: from .env.sample, not the process
		"LITERAL":        "second wins $x",             // literal, the later file wins
		"EMPTY":          "",                           // empty stays empty
		"OVERRIDDEN":     "own",                        // the service's environment wins
		"SECOND":         "2",                          // the interpolated env_file name was read
		"DOMAIN":         "demo-abcdef.ci.example.org", // key-only: the run's domain
		"FROM_COMPOSE":   "<nil>",                      // not in the app env: no value, not the process's
		"INTERPOLATED":   "unset",                      // compose interpolation: the app env only
		"FROM_EXPANSION": "x",                          // .env.sample's expansion: earlier assignments only
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (env %v)", k, got[k], v, got)
		}
	}
	for k, v := range got {
		if strings.Contains(v, "MustNotLeak") || strings.Contains(v, "from-the-process") || k == "GITHUB_TOKEN" || k == "INPUT_ENROLL-TOKEN" {
			t.Errorf("the process environment reached the app: %s=%q", k, v)
		}
	}
}

func TestEnvFilesOutsideTheRecipe(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "host.env")
	if err := os.WriteFile(outside, []byte("HOST_SECRET=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		envFile string
		link    string // app.env becomes a symlink to this
		want    string
	}{
		"absolute host path": {envFile: outside, want: "is outside the recipe"},
		"dot-dot":            {envFile: "../x.env", want: "is outside the recipe"},
		"symlink out":        {envFile: "app.env", link: outside, want: "is a symlink to " + outside},
		"missing":            {envFile: "nope.env", want: "nope.env does not exist"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeRecipe(t, map[string]string{
				".env.sample": "TYPE=demo\nDOMAIN=demo.example.com\n",
				"compose.yml": "version: \"3.8\"\nservices:\n  app:\n    image: nginx:1.27\n    env_file: " + tc.envFile + "\n",
			})
			if tc.link != "" {
				if err := os.Symlink(tc.link, filepath.Join(dir, "app.env")); err != nil {
					t.Fatal(err)
				}
			}
			r, err := LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Resolve(ResolveOptions{Domain: "demo-abcdef.ci.example.org"})
			if !IsConfigError(err) || !strings.Contains(err.Error(), "compose.yml: services.app.env_file: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a ConfigError naming compose.yml, services.app.env_file and %q", err, tc.want)
			}
		})
	}
}
