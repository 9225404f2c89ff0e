package cli

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// lintLine finds the line of rule id (with abra's id or "ours" as ref) in
// `recipe-test lint`'s output and returns its verdict and detail.
func lintLine(t *testing.T, out, ref, id string) (verdict, detail string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == ref && f[2] == id {
			return f[0], strings.Join(f[3:], " ")
		}
	}
	t.Errorf("no line for %s %s in:\n%s", ref, id, out)
	return "", ""
}

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// `recipe-test lint` needs no swarm. The example is lint clean (exit 0),
// each line showing abra's id or "ours"; the network rules and the git
// rules of a plain folder are skipped, saying why.
func TestLintCommand(t *testing.T) {
	code, out, stderr := runCLI(t, "lint", filepath.Join("..", "..", "testdata", "recipes", "example"))
	if code != exitOK || !strings.Contains(out, "example: 0 errors, 0 warnings") {
		t.Fatalf("example: exit %d\n%s%s", code, out, stderr)
	}
	for _, tc := range []struct{ ref, id, verdict, detail string }{
		{"R001", "compose-version", "pass", ""},
		{"R003", "images-tagged", "pass", ""},
		{"R006", "catalogue-version", "skip", "needs the network, which lint does not use (abra reads the recipe catalogue at recipes.coopcloud.tech): not checked"},
		{"R014", "annotated-tags", "skip", "the recipe is a plain folder, not a git repository"},
		{"ours", "version-tags", "skip", "the recipe is a plain folder, not a git repository"},
		{"ours", "config-bumps", "skip", "the recipe is a plain folder, not a git repository"},
	} {
		if v, d := lintLine(t, out, tc.ref, tc.id); v != tc.verdict || d != tc.detail {
			t.Errorf("%s %s: %s %q, want %s %q", tc.ref, tc.id, v, d, tc.verdict, tc.detail)
		}
	}
}

// A release of a tagged repository at --ref: its annotated tags pass R014.
func TestLintCommandAtRef(t *testing.T) {
	repo := testenv.TaggedRecipe(t, filepath.Join("..", "..", "testdata", "recipes", "upgrade"))
	code, out, stderr := runCLI(t, "lint", repo, "--ref", "1.0.0+1.0")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	if v, _ := lintLine(t, out, "R014", "annotated-tags"); v != "pass" {
		t.Errorf("R014: %s\n%s", v, out)
	}
	if v, d := lintLine(t, out, "ours", "config-bumps"); v != "skip" || d != "no earlier release to compare with" {
		t.Errorf("config-bumps at the first release: %s %q", v, d)
	}
}

// An error-level rule fails the lint (exit 1), the line naming abra's id,
// what broke it and the fix; warnings are counted, not failing.
func TestLintCommandErrors(t *testing.T) {
	dir := writeDir(t, map[string]string{
		".env.sample": "TYPE=noapp\nDOMAIN=noapp.example.com\n",
		"compose.yml": "version: \"3.8\"\nservices:\n  web:\n    image: nginx\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n" +
			"    deploy:\n      labels: [\"traefik.enable=true\"]\n",
	})
	code, out, stderr := runCLI(t, "lint", dir)
	if code != exitFailed || !strings.Contains(out, "noapp: 1 errors, 3 warnings") || !strings.Contains(stderr, "noapp is not lint clean") {
		t.Errorf("exit %d\n%s%s", code, out, stderr)
	}
	if v, d := lintLine(t, out, "R009", "app-service"); v != "error" || !strings.HasPrefix(d, "no service is called app (services: web) (fix: name the service") {
		t.Errorf("R009: %s %q", v, d)
	}
	if v, d := lintLine(t, out, "R003", "images-tagged"); v != "warning" || !strings.HasPrefix(d, "service web: image nginx has no tag (fix: pin each image") {
		t.Errorf("R003 is a warning, as in abra: %s %q", v, d)
	}
}

// A recipe that cannot be loaded exits 2, naming what is wrong, after
// reporting the rules that read its files; the rules that need the
// compose model are skipped with the load error.
func TestLintCommandUnloadable(t *testing.T) {
	dir := writeDir(t, map[string]string{
		".env.sample": "TYPE=noimage\nDOMAIN=noimage.example.com\n",
		"compose.yml": "version: \"3.7\"\nservices:\n  app:\n    command: [\"true\"]\n",
	})
	code, out, stderr := runCLI(t, "lint", dir)
	if code != exitConfig || !strings.Contains(stderr, "compose.yml: services.app: no image specified") ||
		!strings.Contains(out, "noimage: 1 errors, 2 warnings; it does not load, so the rules that need it were not checked") {
		t.Errorf("exit %d, stderr %q\n%s", code, stderr, out)
	}
	if v, d := lintLine(t, out, "R011", "image-present"); v != "error" || !strings.HasPrefix(d, "service app: no image (fix:") {
		t.Errorf("R011: %s %q", v, d)
	}
	if v, d := lintLine(t, out, "R001", "compose-version"); v != "warning" || !strings.HasPrefix(d, `compose.yml: version is "3.7"`) {
		t.Errorf("R001: %s %q", v, d)
	}
	if v, d := lintLine(t, out, "R002", "healthchecks"); v != "skip" || !strings.Contains(d, "the compose model did not load: compose.yml: services.app: no image specified") {
		t.Errorf("R002: %s %q", v, d)
	}
	code, out, stderr = runCLI(t, "lint", t.TempDir())
	if code != exitConfig || !strings.Contains(stderr, ".env.sample") {
		t.Errorf("not a recipe: exit %d %s", code, stderr)
	}
	if v, d := lintLine(t, out, "R008", "env-sample"); v != "error" || !strings.HasPrefix(d, ".env.sample is missing") {
		t.Errorf("R008: %s %q", v, d)
	}
}

// lint deploys nothing: the stand-in stack and domain it resolves under
// are shown as the recipe writes them, ${STACK_NAME} and ${DOMAIN}.
func TestLintCommandShowsPlaceholders(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "recipes", "example")
	files := map[string]string{}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	// No version label: the finding names the label it wants.
	files["compose.yml"] = strings.Replace(files["compose.yml"], `- "coop-cloud.${STACK_NAME}.version=1.0.0+1.0"`, "", 1)
	code, out, stderr := runCLI(t, "lint", writeDir(t, files))
	v, d := lintLine(t, out, "ours", "version-label")
	if code != exitOK || v != "warning" || !strings.Contains(d, "coop-cloud.${STACK_NAME}.version") {
		t.Errorf("exit %d, version-label %s %q\n%s", code, v, d, stderr)
	}
	if strings.Contains(out, naming.StackName(lintDomain)) || strings.Contains(out, lintDomain) {
		t.Errorf("the stand-in names show:\n%s", out)
	}
}

// A recipe URL whose server accepts and never answers ends at the clone
// timeout, naming it, with exit 2: lint and inspect fetch like run does.
func TestFetchingCommandsCloneTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 64)
	defer func() {
		ln.Close()
		for {
			select {
			case c := <-held:
				c.Close()
			default:
				return
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c // never answered
		}
	}()
	url := "http://" + ln.Addr().String() + "/recipe.git"
	for _, cmd := range []string{"lint", "inspect"} {
		start := time.Now()
		code, _, stderr := runCLI(t, cmd, url, "--clone-timeout", "1s")
		if code != exitConfig || !strings.Contains(stderr, "clone timeout (1s)") {
			t.Errorf("%s: exit %d, stderr %q", cmd, code, stderr)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s took %s with a 1s clone timeout", cmd, d)
		}
	}
}

// The main job (scripts/example.sh) lints the upgrade fixture made into a
// repository by scripts/release-history.sh: its tags must pass as abra's
// would (annotated, R014), or the main job fails.
func TestReleaseHistoryScriptLintClean(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary for scripts/release-history.sh")
	}
	root := testenv.RepoRoot(t)
	dest := filepath.Join(t.TempDir(), "upgrade")
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "release-history.sh"), filepath.Join(root, "testdata", "recipes", "upgrade"), dest).CombinedOutput()
	if err != nil {
		t.Fatalf("release-history.sh: %v\n%s", err, out)
	}
	code, stdout, stderr := runCLI(t, "lint", dest)
	if code != exitOK {
		t.Errorf("lint of the release history: exit %d\n%s%s", code, stdout, stderr)
	}
	if v, _ := lintLine(t, stdout, "R014", "annotated-tags"); v != "pass" {
		t.Errorf("R014 annotated-tags: %s", v)
	}
}
