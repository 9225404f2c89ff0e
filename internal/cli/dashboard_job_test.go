package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The README's dashboard job (Publishing a dashboard), its steps that need
// no github.com run as they are, two nights in a row: the history branch
// made as the README says, checked out as actions/checkout does (ref and
// path), the night's artifacts laid out as actions/download-artifact@v4
// lays out several artifacts matched by a pattern (a folder per artifact,
// named after it, under path), the README's shell step run by bash in its
// working directory (it keeps only results.json files, commits and
// pushes), then the docker:// step's arguments to recipe-test. The site
// must show both recipes with both nights, and the branch must hold the
// results.json files and nothing else. Uploading to Pages is GitHub's.
func TestReadmeDashboardJob(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	job := readmeDashboardJob(t)
	var script, workdir, args string
	for _, s := range job.Steps {
		switch {
		case s.Run != "":
			script, workdir = s.Run, s.WorkingDirectory
		case strings.HasPrefix(s.Uses, "docker://ghcr.io/cc-ci/recipe-test:"):
			args = s.With["args"]
		}
	}
	if script == "" || args == "" {
		t.Fatalf("the README's dashboard job has no shell step or no recipe-test step: %+v", job.Steps)
	}

	root := t.TempDir()
	git := func(dir string, a ...string) string {
		t.Helper()
		cmd := exec.Command("git", a...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.org", "GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.org")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", a, err, out)
		}
		return string(out)
	}
	// The CI repository and its history branch, made once as the README says.
	origin := filepath.Join(root, "origin.git")
	git(root, "init", "-q", "--bare", "-b", "main", origin)
	setup := filepath.Join(root, "setup")
	git(root, "clone", "-q", origin, setup)
	git(setup, "switch", "-q", "--orphan", "recipe-test-history")
	git(setup, "commit", "-q", "--allow-empty", "-m", "recipe-test history")
	git(setup, "push", "-q", "origin", "recipe-test-history")

	for night, runID := range []string{"7001", "7002"} {
		work := filepath.Join(root, "night"+runID)
		os.MkdirAll(work, 0o755)
		// actions/checkout with ref: recipe-test-history and path: history.
		git(work, "clone", "-q", "-b", "recipe-test-history", origin, "history")
		for i, recipe := range []string{"example", "custom-html"} {
			art := filepath.Join(work, "history", "runs", runID, "recipe-test-results-"+recipe)
			started := time.Date(2026, 11, 1+night, 2, i, 0, 0, time.UTC)
			writeArtifact(t, art, recipe, started)
		}
		cmd := exec.Command("bash", "-e", "-c", strings.ReplaceAll(script, "${{ github.run_id }}", runID))
		cmd.Dir = filepath.Join(work, workdir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("night %s: the README's shell step: %v\n%s", runID, err, out)
		}
		t.Chdir(work)
		code, out, stderr := runCLI(t, strings.Fields(args)...)
		if code != exitOK {
			t.Fatalf("night %s: recipe-test %s: exit %d\n%s%s", runID, args, code, out, stderr)
		}
		if want := fmt.Sprintf("2 recipes, %d runs", 2*(night+1)); !strings.Contains(out, want) {
			t.Errorf("night %s: recipe-test said %q, want %q", runID, out, want)
		}
	}

	// The branch keeps the results.json files of both nights and nothing else.
	files := strings.Fields(git(origin, "ls-tree", "-r", "--name-only", "recipe-test-history"))
	want := []string{}
	for _, runID := range []string{"7001", "7002"} {
		for _, recipe := range []string{"custom-html", "example"} {
			want = append(want, "runs/"+runID+"/recipe-test-results-"+recipe+"/results.json")
		}
	}
	if strings.Join(files, "\n") != strings.Join(want, "\n") {
		t.Errorf("the history branch holds:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(want, "\n"))
	}
	// The site of the second night: both recipes, each page with both runs.
	site := filepath.Join(root, "night7002", "site")
	for _, recipe := range []string{"example", "custom-html"} {
		page, err := os.ReadFile(filepath.Join(site, "recipes", recipe+".html"))
		if err != nil {
			t.Fatal(err)
		}
		for _, day := range []string{"2026-11-01", "2026-11-02"} {
			if !bytes.Contains(page, []byte(day)) {
				t.Errorf("the page of %s lacks the run of %s", recipe, day)
			}
		}
		if _, err := os.Stat(filepath.Join(site, "badges", recipe+".svg")); err != nil {
			t.Error(err)
		}
	}
}

// readmeDashboardJob is the dashboard job the README shows under
// "Publishing a dashboard".
func readmeDashboardJob(t *testing.T) workflowJob {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)### Publishing a dashboard\n.*?```yaml\n(.*?)```\n").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md: no yaml block under Publishing a dashboard")
	}
	var jobs map[string]workflowJob
	if err := yaml.Unmarshal(m[1], &jobs); err != nil {
		t.Fatalf("README.md's dashboard job: %v", err)
	}
	job, ok := jobs["dashboard"]
	if !ok {
		t.Fatalf("README.md's yaml block under Publishing a dashboard has no dashboard job")
	}
	return job
}

// writeArtifact writes what a run's recipe-test-results folder holds (the
// artifact's files, under dir): results.json with the report and a
// screenshot beside it.
func writeArtifact(t *testing.T, dir, recipe string, started time.Time) {
	t.Helper()
	run := &results.Run{Status: results.Pass, Recipe: recipe, Started: started, DurationS: 61, Residue: []string{},
		Stages: []results.Stage{{Name: "install", Status: results.Pass}, {Name: "teardown", Status: results.Pass}}}
	run.ComputeLadder(nil)
	var buf bytes.Buffer
	if err := report.JSON(&buf, run); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"results.json":             buf.Bytes(),
		"report.md":                []byte("# " + recipe + "\n"),
		"screenshots/app-home.png": {0x89, 'P', 'N', 'G'},
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
