package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./internal/report -update after checking the change):\n--- got\n%s", name, got)
	}
}

var started = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// passRun is a full pass: a fresh install of the head, an upgrade from
// the base release, backup and both restores, with notes.
func passRun() *results.Run {
	run := &results.Run{
		Status: results.Pass, Recipe: "upgrade", Location: "https://git.example.org/recipes/upgrade.git", Ref: "refs/pull/7/head",
		Commit: "0123456789abcdef0123456789abcdef01234567", Version: "2.0.0+2.0", BaseVersion: "1.0.0+1.0",
		Domain: "upgr-c0ffee.ci.test", Stack: "upgr-c0ffee_ci_test", RunID: "c0ffee", Deployer: "swarm", Ingress: "direct",
		Started: started, DurationS: 83.4, RunURL: "https://git.example.org/recipes/upgrade/actions/runs/42", ToolVersion: "v2.3.0",
		Stages: []results.Stage{
			{Name: "lint", Status: results.Pass, Note: "1 warning: R007 readme-metadata: README.md is missing", Tests: []results.Test{
				{Name: "R001 compose-version", Status: results.Pass}, {Name: "R002 healthchecks", Status: results.Pass},
				{Name: "R003 images-tagged", Status: results.Pass}, {Name: "R004 no-latest", Status: results.Pass},
				{Name: "R005 semver-image-tags", Status: results.Pass},
				{Name: "R006 catalogue-version", Status: results.Skip, Reason: "needs the network, which lint does not use (abra reads the recipe catalogue at recipes.coopcloud.tech): not checked"},
				{Name: "R007 readme-metadata", Status: results.Pass, Reason: "warning: README.md is missing"},
				{Name: "R008 env-sample", Status: results.Pass}, {Name: "R009 app-service", Status: results.Pass},
				{Name: "R010 traefik-enabled", Status: results.Pass}, {Name: "R011 image-present", Status: results.Pass},
				{Name: "R012 config-versions", Status: results.Skip, Reason: "no compose file defines a config"},
				{Name: "R013 recipe-repo", Status: results.Skip, Reason: "needs the network, which lint does not use (abra looks the repository up on git.coopcloud.tech): not checked"},
				{Name: "R014 annotated-tags", Status: results.Pass},
				{Name: "R015 secret-lengths", Status: results.Skip, Reason: "no compose file defines a secret"},
				{Name: "ours env-type-domain", Status: results.Pass}, {Name: "ours version-label", Status: results.Pass},
				{Name: "ours version-tags", Status: results.Pass}, {Name: "ours releases", Status: results.Pass},
				{Name: "ours release-notes", Status: results.Pass}, {Name: "ours traefik-labels", Status: results.Pass},
				{Name: "ours config-bumps", Status: results.Skip, Reason: "no config or secret is made from a file"},
			}},
			{Name: "install", Status: results.Pass, DurationS: 2.1, Release: "2.0.0+2.0", Output: "2/2 services converged\n"},
			{Name: "upgrade", Status: results.Pass, DurationS: 5.6, Release: "2.0.0+2.0", From: "1.0.0+1.0", Note: "upgraded from 1.0.0+1.0 to 2.0.0+2.0; data checked with the recipe's seed/mutate/verify hooks in service app"},
			{Name: "backup", Status: results.Pass, DurationS: 0.2, Release: "2.0.0+2.0", Note: "saved out/backup/app.tar"},
			{Name: "restore", Status: results.Pass, DurationS: 9.1, Release: "2.0.0+2.0", Note: "in place and onto a fresh deployment", Tests: []results.Test{
				{Name: "in-place restore", Status: results.Pass, DurationS: 1.2},
				{Name: "fresh restore", Status: results.Pass, DurationS: 7.9},
			}},
			{Name: "teardown", Status: results.Pass, DurationS: 6.2},
		},
		Residue: []string{},
		Parity: []results.ParityRow{
			{Feature: "data survives an upgrade", Check: "upgrade", Status: results.Pass},
			{Feature: "restore | in place", Check: "restore/in-place restore", Status: results.Pass, Note: "the predecessor checked only exit codes"},
		},
	}
	run.ComputeLadder(nil)
	return run
}

// failRun fails its upgrade at the data check and leaves a volume behind;
// its output holds terminal escapes, a code fence and HTML.
func failRun() *results.Run {
	run := &results.Run{
		Status: results.Fail, Recipe: "example", Ref: "main", Commit: "fedcba9876543210", Version: "2.0.0+2.0", BaseVersion: "1.0.0+1.0",
		Domain: "exam-c0ffee.ci.test", Stack: "exam-c0ffee_ci_test", RunID: "c0ffee", Deployer: "swarm", Ingress: "traefik",
		Started: started, DurationS: 40,
		Stages: []results.Stage{
			{Name: "install", Status: results.Pass, DurationS: 8.25, Release: "2.0.0+2.0", Output: "\x1b[32mconverged\x1b[0m ok"},
			{Name: "upgrade", Status: results.Fail, DurationS: 12, Release: "2.0.0+2.0", From: "1.0.0+1.0", Reason: "data check: the data seeded into release 1.0.0+1.0 is not there after the upgrade to 2.0.0+2.0: verify hook \"test x | y\" exited 1: item <marker> not found",
				Output: "deploying release 1.0.0+1.0\nseed hook in service app\n```\nnot a fence\n```\nupgrading in place\n\x1b[31mverify hook failed\x1b[0m\n"},
			{Name: "backup", Status: results.Skip, Reason: "not run: upgrade failed"},
			{Name: "restore", Status: results.Skip, Reason: "not run: upgrade failed"},
			{Name: "teardown", Status: results.Fail, DurationS: 4, Reason: "left behind after teardown: volume exam-c0ffee_ci_test_data"},
		},
		Residue: []string{"volume exam-c0ffee_ci_test_data"},
	}
	run.ComputeLadder(nil)
	return run
}

func planErrorRun() *results.Run {
	run := &results.Run{Status: results.Fail, Location: "testdata/recipes/bad", Started: started, Residue: []string{}, ToolVersion: "v2.3.0-4-g0123abc-dirty",
		Error: ".env.sample:3: COMPOSE_FILE: names compose.missing.yml, which does not exist in the recipe"}
	run.ComputeLadder(nil)
	return run
}

// warnedRun passed, with a warning for the maintainer.
func warnedRun() *results.Run {
	run := passRun()
	run.Warnings = []string{"the checkout is shallow: fetch-depth: 0 shows the releases to upgrade from"}
	return run
}

// mainRun is the base branch's last result: L5 on refs/heads/main.
func mainRun() *results.Run {
	return &results.Run{Status: results.Pass, Recipe: "upgrade", Ref: "refs/heads/main", Level: 5}
}

func TestMarkdownGolden(t *testing.T) {
	for name, run := range map[string]*results.Run{"pass": passRun(), "fail": failRun(), "plan-error": planErrorRun(), "warned": warnedRun()} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Markdown(&buf, run); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".md", buf.Bytes())
		})
	}
}

// The comment's extras: the delta against the base branch, the screenshot
// attached (Gitea), linked (GitHub) or left out with a note.
func TestCommentGolden(t *testing.T) {
	shot := "custom/screenshots/example-home.png"
	for name, tc := range map[string]struct {
		run *results.Run
		x   Extras
	}{
		"pass-attached": {passRun(), Extras{Base: mainRun(), Screenshot: Screenshot{Name: shot, Inline: true,
			URL: "https://git.example.org/attachments/0b5e2c1a-4f9d-4c4e-9a57-0a1b2c3d4e5f"}}},
		"pass-linked": {passRun(), Extras{Screenshot: Screenshot{Name: shot, URL: "https://github.com/coop-cloud/upgrade/actions/runs/42#artifacts"}}},
		"fail-too-big": {failRun(), Extras{Base: mainRun(), Screenshot: Screenshot{Name: shot,
			Note: "Not attached: 6.2 MiB, over the 5 MiB limit."}}},
	} {
		t.Run(name, func(t *testing.T) {
			golden(t, "comment-"+name+".md", []byte(RenderWith(tc.run, tc.x, MaxMarkdown)))
		})
	}
}

// The screenshot's line: embedded, linked, or naming the file; a name of
// megabytes is cut, and only an http(s) URL of bounded length is linked.
func TestScreenshotLine(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	for s, want := range map[Screenshot]string{
		{}: "",
		{Name: "a.png", URL: "https://f.test/a b(c)", Inline: true}:              "![screenshot of the app: a.png](https://f.test/a%20b%28c%29)",
		{Name: "a.png", URL: "javascript:alert(1)", Inline: true}:                "Screenshot of the app: `a.png` in the run's output folder.",
		{Name: "a.png", URL: "https://f.test/" + long}:                           "Screenshot of the app: `a.png` in the run's output folder.",
		{Name: "a.png", URL: "https://f.test/run#artifacts", Note: "Not *all*."}: "Screenshot of the app: `a.png`, in [the run's artifacts](https://f.test/run#artifacts). Not \\*all\\*.",
	} {
		if got := s.markdown(); got != want {
			t.Errorf("%+v: %q, want %q", s.URL[:min(40, len(s.URL))], got, want)
		}
	}
	if got := (Screenshot{Name: long}).markdown(); len(got) > 400 {
		t.Errorf("a long name makes a line of %d bytes", len(got))
	}
}

func TestCompact(t *testing.T) {
	dep := passRun()
	dep.Dependencies = []results.Dependency{{Recipe: "keycloak", Status: results.Fail}}
	for run, want := range map[*results.Run]bool{passRun(): true, warnedRun(): false, failRun(): false, planErrorRun(): false, dep: false} {
		if got := Compact(run); got != want {
			t.Errorf("Compact(%s %s, %d warnings) = %v", run.Recipe, run.Status, len(run.Warnings), got)
		}
	}
	if got, want := StageLine(passRun().Stages), "lint ✓ · install ✓ · upgrade ✓ · backup ✓ · restore ✓ · teardown ✓"; got != want {
		t.Errorf("StageLine = %q, want %q", got, want)
	}
	if got, want := StageLine(failRun().Stages), "install ✓ · upgrade ✗ · backup skipped · restore skipped · teardown ✗"; got != want {
		t.Errorf("StageLine = %q, want %q", got, want)
	}
	for base, want := range map[*results.Run]string{
		nil:                       "",
		mainRun():                 "L5 on main, L3 here",
		{Level: 4, Ref: "stable"}: "L4 on stable, L3 here",
		{Level: 2, Commit: "0123456789abcdef0123"}: "L2 on 0123456789ab, L3 here",
		{Level: 1}: "L1 on the base branch, L3 here",
		{Level: 5, Ref: "refs/heads/[x](https://evil.test)"}: "L5 on \\[x\\](https:\u200b//evil.test), L3 here",
	} {
		if got := Delta(base, passRun()); got != want {
			t.Errorf("Delta = %q, want %q", got, want)
		}
	}
}

func TestJUnitGolden(t *testing.T) {
	for name, run := range map[string]*results.Run{"pass": passRun(), "fail": failRun(), "plan-error": planErrorRun()} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JUnit(&buf, run); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".junit.xml", buf.Bytes())
		})
	}
}

func TestVerdict(t *testing.T) {
	for run, want := range map[*results.Run]string{
		passRun():      "✅ upgrade: L3 of 5: installs, upgrades, backs up and restores; functional tests unverified",
		failRun():      "❌ example: L1 of 5: installs; upgrade fails; 1 resource left behind",
		planErrorRun(): "❌ testdata/recipes/bad: the run could not start: .env.sample:3",
	} {
		if got := Verdict(run); !strings.HasPrefix(got, want) {
			t.Errorf("Verdict = %q, want prefix %q", got, want)
		}
	}
}

// A run with huge outputs stays within the comment limit: the excerpts
// shrink, the verdict and every table row stay.
func TestMarkdownSizeLimit(t *testing.T) {
	run := failRun()
	big := strings.Repeat("a line of output from a very chatty stage\n", 50000) // 2 MB
	for i := range 40 {
		run.Stages = append(run.Stages, results.Stage{Name: "stage" + string(rune('a'+i%26)), Status: results.Fail, Reason: "failed", Output: big})
	}
	run.ComputeLadder(nil)
	out := RenderMarkdown(run, MaxMarkdown)
	if len(out) > MaxMarkdown {
		t.Fatalf("%d bytes, over the limit", len(out))
	}
	if !strings.HasPrefix(out, "### "+Verdict(run)) || strings.Count(out, "| ❌ fail |") != 42 || !strings.Contains(out, "| L5 | lint clean |") {
		t.Errorf("verdict or tables cut:\n%s", out[:2000])
	}
	if !strings.Contains(out, "<details>") {
		t.Error("excerpts dropped although shorter ones fit")
	}
	// With a limit only the tables fit, excerpts go and the report says so.
	tiny := RenderMarkdown(run, len(markdownTop(run, Extras{}))+len(markdownBody(run, budget{}, Extras{}))+len(markdownFacts(run))+200)
	if strings.Contains(tiny, "<details>") || !strings.Contains(tiny, "Failure excerpts left out") {
		t.Errorf("tiny report:\n%s", tiny)
	}
}
