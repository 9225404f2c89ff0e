package abra

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	composetypes "github.com/docker/cli/cli/compose/types"

	"github.com/cc-ci/recipe-test/v2/internal/lint"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

func TestChoose(t *testing.T) {
	found := func(string) (string, error) { return "/usr/local/bin/abra", nil }
	absent := func(name string) (string, error) {
		return "", errors.New(`exec: "` + name + `": executable file not found in $PATH`)
	}
	for _, tc := range []struct {
		deployer string
		cfg      Config
		look     func(string) (string, error)
		want     string
		errHas   []string
	}{
		{"auto", Config{Server: "default"}, found, Abra, nil},
		{"", Config{Server: "default"}, found, Abra, nil},
		{"auto", Config{}, found, Swarm, nil},
		{"auto", Config{Server: "default"}, absent, Swarm, nil},
		{"swarm", Config{Server: "default"}, found, Swarm, nil},
		{"abra", Config{Server: "default"}, found, Abra, nil},
		{"abra", Config{}, found, "", []string{"--deployer abra needs", "a server context (--abra-server NAME or input abra-server)"}},
		{"abra", Config{Server: "default"}, absent, "", []string{"an abra binary (--abra PATH or input abra, else abra on PATH", "not found"}},
		{"abra", Config{}, absent, "", []string{"abra binary", " and a server context"}},
		{"helm", Config{}, found, "", []string{`unknown deployer "helm"`}},
	} {
		got, cfg, err := Choose(tc.deployer, tc.cfg, tc.look)
		if len(tc.errHas) > 0 {
			for _, s := range tc.errHas {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("Choose(%q, %+v) err = %v, want it to say %q", tc.deployer, tc.cfg, err, s)
				}
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Choose(%q, %+v) = %q, %v; want %q", tc.deployer, tc.cfg, got, err, tc.want)
		}
		if got == Abra && cfg.Binary != "/usr/local/bin/abra" {
			t.Errorf("binary %q", cfg.Binary)
		}
	}
}

// abra's table as current abra draws it (box characters) and as older
// abra did (ASCII): both read the same.
const boxLint = `┌──────┬──────────────────────────────────────┬──────────┬───────────┬─────────┬─────────────────────────┐
│ ref  │ rule                                 │ severity │ satisfied │ skipped │ resolve                 │
├──────┼──────────────────────────────────────┼──────────┼───────────┼─────────┼─────────────────────────┤
│ R001 │ compose config has expected version  │ warn     │ ✅         │ -       │ ensure 'version: "3.8"' │
│ R003 │ all images use a tag                 │ warn     │ ❌         │ -       │ use a tag for all images│
│ R006 │ has published catalogue version      │ warn     │ -         │ ✅       │ publish a recipe version│
│ R009 │ one service named 'app'              │ error    │ ❌         │ -       │ name a service 'app'    │
│ R099 │ some rule abra added later           │ error    │ ✅         │ -       │ do the thing            │
└──────┴──────────────────────────────────────┴──────────┴───────────┴─────────┴─────────────────────────┘
WARN critical errors present in example config
`

const asciiLint = `+------+-------------------------------------+----------+-----------+---------+----------------+
| REF  |                RULE                 | SEVERITY | SATISFIED | SKIPPED |    RESOLVE     |
+------+-------------------------------------+----------+-----------+---------+----------------+
| R001 | compose config has expected version | warn     | ✅        | -       | ensure version |
| R003 | all images use a tag                | warn     | ❌        | -       | use a tag      |
| R006 | has published catalogue version     | warn     | -         | ✅      | publish        |
| R009 | one service named 'app'             | error    | ❌        | -       | name a service |
| R099 | some rule abra added later          | error    | ✅        | -       | do the thing   |
+------+-------------------------------------+----------+-----------+---------+----------------+
`

func TestParseLint(t *testing.T) {
	for name, text := range map[string]string{"box": boxLint, "ascii": asciiLint} {
		rep, err := ParseLint("$ abra recipe lint example\n" + text)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := map[string]lint.Result{}
		for _, r := range rep.Results {
			got[r.Rule.Ref()] = r
		}
		if len(got) != 5 {
			t.Fatalf("%s: %d results: %+v", name, len(got), rep.Results)
		}
		check := func(ref string, st lint.Status, title string, sev lint.Severity) {
			r := got[ref]
			if r.Status != st || r.Rule.Title() != title || r.Rule.Severity != sev {
				t.Errorf("%s: %s = %s %q %s, want %s %q %s", name, ref, r.Status, r.Rule.Title(), r.Rule.Severity, st, title, sev)
			}
		}
		check("R001", lint.Pass, "R001 compose-version", lint.Warning)
		check("R003", lint.Fail, "R003 images-tagged", lint.Warning)
		check("R006", lint.Skip, "R006 catalogue-version", lint.Warning)
		check("R009", lint.Fail, "R009 app-service", lint.Error)
		check("R099", lint.Pass, "R099 some-rule-abra-added-later", lint.Error)
		if errs := rep.Failed(lint.Error); len(errs) != 1 || errs[0].Rule.Abra != "R009" || !strings.Contains(errs[0].Findings[0], "one service named 'app'") {
			t.Errorf("%s: errors %+v", name, errs)
		}
	}
}

func TestParseLintWithoutTable(t *testing.T) {
	if _, err := ParseLint("FATA unable to read recipe example\n"); err == nil || !strings.Contains(err.Error(), "no lint table") {
		t.Fatalf("err = %v", err)
	}
	// A table with other columns is not a lint table.
	if _, err := ParseLint("│ NAME │ VALUE │\n│ a │ b │\n"); err == nil {
		t.Fatal("a NAME/VALUE table read as lint")
	}
}

func TestEnvFile(t *testing.T) {
	app := &recipe.App{Recipe: "example",
		Env: map[string]string{"DOMAIN": "ex.test", "STACK_NAME": "ex_test", "COMPOSE_FILE": "compose.yml:compose.x.yml",
			"SECRET_DB_VERSION": "v2", "SECRET_API_KEY_VERSION": "v1", "QUOTE": "it's", "EMPTY": ""},
		Secrets: []recipe.Secret{
			{Name: "db", VersionVar: "SECRET_DB_VERSION", Length: 64, Charset: "hex", Generate: true},
			{Name: "api_key", VersionVar: "SECRET_API_KEY_VERSION", Generate: false},
		}}
	b, err := envFile(app)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		"DOMAIN='ex.test'\n",
		"COMPOSE_FILE='compose.yml:compose.x.yml:" + OverlayFile + "'\n",
		"SECRET_DB_VERSION='v2' # length=64 charset=hex\n",
		"SECRET_API_KEY_VERSION='v1' # generate=false\n",
		"QUOTE=\"it's\"\n",
		"EMPTY=''\n",
		"RECIPE='example'\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("env file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "STACK_NAME") {
		t.Errorf("STACK_NAME written (abra derives it):\n%s", got)
	}
	app.Env["BAD"] = `it's "$x"`
	if _, err := envFile(app); err == nil || !strings.Contains(err.Error(), "BAD") {
		t.Errorf("err = %v, want one naming BAD", err)
	}
}

func TestOverlay(t *testing.T) {
	app := &recipe.App{Recipe: "example", Stack: "ex_test",
		Services: []recipe.Service{
			{Name: "app", Labels: map[string]string{"traefik.enable": "true"}},
			{Name: "db"},
		},
		Compose: &composetypes.Config{Volumes: map[string]composetypes.VolumeConfig{
			"data":   {Driver: "local", DriverOpts: map[string]string{"type": "tmpfs"}, Labels: composetypes.Labels{"keep": "me"}},
			"shared": {External: composetypes.External{External: true}},
		}}}
	file := filepath.Join(t.TempDir(), OverlayFile)
	if err := writeOverlay(file, app, swarm.DeployOptions{RunID: "abc123", Reach: true}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	got := string(b)
	for _, want := range []string{"version: \"3.8\"", swarm.LabelRun + ": abc123", "recipe-test:\n", "attachable: true", "data:\n",
		"driver: local", "type: tmpfs", "keep: me"} {
		if !strings.Contains(got, want) {
			t.Errorf("overlay lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "shared") {
		t.Errorf("an external volume got labels:\n%s", got)
	}
	// Only the routed service joins the reach network, keeping its own.
	if strings.Count(got, "recipe-test:") != 2 || !strings.Contains(got, "default:") {
		t.Errorf("reach network not attached to app alone, with its default network:\n%s", got)
	}
}

func TestExtractStaysInside(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "data/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "data/items/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "data/items/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	tw.Write([]byte("x"))
	tw.WriteHeader(&tar.Header{Name: "etc/app.conf", Typeflag: tar.TypeReg, Mode: 0o600, Size: 1})
	tw.Write([]byte("y"))
	tw.WriteHeader(&tar.Header{Name: "data/escape", Typeflag: tar.TypeSymlink, Linkname: "/etc"})
	tw.WriteHeader(&tar.Header{Name: "data/escape/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	tw.Write([]byte("z"))
	tw.Close()
	dir := t.TempDir()
	_, err := extract(&buf, dir)
	if err == nil || !strings.Contains(err.Error(), "data/escape/passwd") {
		t.Fatalf("err = %v, want the write through the symlink refused", err)
	}

	buf.Reset()
	tw = tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "data/items/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "data/items/a", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	tw.Write([]byte("x"))
	tw.WriteHeader(&tar.Header{Name: "etc/app.conf", Typeflag: tar.TypeReg, Mode: 0o600, Size: 1})
	tw.Write([]byte("y"))
	tw.Close()
	tops, err := extract(&buf, t.TempDir())
	if err != nil || strings.Join(tops, ",") != "data/items,etc/app.conf" {
		t.Fatalf("tops %v err %v", tops, err)
	}

	buf.Reset()
	tw = tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "../outside", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	if _, err := extract(&buf, t.TempDir()); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("err = %v", err)
	}
}
