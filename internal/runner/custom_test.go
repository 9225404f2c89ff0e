package runner

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jstemmer/go-junit-report/v2/gtr"
	"github.com/jstemmer/go-junit-report/v2/junit"
	"github.com/jstemmer/go-junit-report/v2/parser/gotest"

	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// `--recipe example` resolves through recipes/example/recipe.toml; the
// custom stage runs the enrolled tests (API round trip, browser) against
// the deployed app, one test case each in the results and JUnit, and the
// parity table gets this run's results.
func TestCustomStageEnrolledExample(t *testing.T) {
	out := t.TempDir()
	res, progress := execute(t, Options{Source: Source{Recipe: "example", RecipesDir: filepath.Join(testenv.RepoRoot(t), "recipes")},
		Stages: []string{StageInstall, StageCustom},
		Output: Output{Dir: out}})
	if res.Status != results.Pass || res.Recipe != "example" {
		t.Fatalf("status %s stages %+v\n%s", res.Status, res.Stages, progress)
	}
	st := wantStage(t, res, "custom", results.Pass)
	names := map[string]results.Status{}
	for _, tc := range st.Tests {
		names[tc.Name] = tc.Status
	}
	for _, want := range []string{"TestHealthCheck", "TestItemRoundTrip", "TestContentTypes", "TestBackendSecretConfigAndVolume", "TestPageRendersInBrowser"} {
		if names[want] != results.Pass {
			t.Errorf("%s: %q (tests %v)", want, names[want], names)
		}
	}
	// L2 is declared not applicable; backup and restore did not run.
	if res.Level != 2 || res.Ladder[3].State != results.RungPassed {
		t.Errorf("level %d ladder %+v", res.Level, res.Ladder)
	}
	if len(res.Parity) != 5 || res.Parity[0].Status != results.Pass || res.Parity[0].Check != "custom/TestHealthCheck" || !strings.HasPrefix(res.Parity[4].Note, "not applicable") {
		t.Errorf("parity %+v", res.Parity)
	}
	if fi, err := os.Stat(filepath.Join(out, "custom", "screenshots", "example-home.png")); err != nil || fi.Size() < 1000 {
		t.Errorf("screenshot: %v", err)
	}
	// The results record it, for the pull request comment.
	if len(st.Screenshots) != 1 || st.Screenshots[0] != "custom/screenshots/example-home.png" || res.Screenshot() != st.Screenshots[0] {
		t.Errorf("recorded screenshots %q", st.Screenshots)
	}
	data, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var suites junit.Testsuites // go-junit-report's model reads JUnit back
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, s := range suites.Suites { // one suite per stage
		for _, c := range s.Testcases {
			if strings.HasPrefix(c.Name, "custom/Test") && c.Failure == nil {
				found++
			}
		}
	}
	if found != 5 {
		t.Errorf("%d passing custom/ test cases in junit.xml:\n%s", found, data)
	}
}

// Failures keep their message, skips their reason (and keep the stage from
// passing), and a credential a test logs is masked everywhere; a mask line
// the app wrote into a test's failure masks nothing, and every report
// still parses.
func TestCustomStageFailSkipMask(t *testing.T) {
	out := t.TempDir()
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "example"), Enrollment: enrollmentDir(t, "custom-mixed")},
		Stages: []string{StageCustom},
		Output: Output{Dir: out}})
	st := wantStage(t, res, "custom", results.Fail, "1 of 4 recipe tests failed: TestFails")
	byName := map[string]results.Test{}
	for _, tc := range st.Tests {
		byName[tc.Name] = tc
	}
	if tc := byName["TestFails"]; tc.Status != results.Fail || !strings.Contains(tc.Reason, "want 418") ||
		!strings.Contains(tc.Reason, "fails on purpose") || !strings.Contains(tc.Output, "::recipe-test-mask::fail") {
		t.Errorf("TestFails: %+v", tc)
	}
	wantReportsParse(t, out)
	if tc := byName["TestSkips"]; tc.Status != results.Skip || !strings.Contains(tc.Reason, "needs an SMTP relay") {
		t.Errorf("TestSkips: %+v", tc)
	}
	tc := byName["TestLogsCredential"]
	if tc.Status != results.Pass || !strings.Contains(tc.Output, "the generated password is ***") {
		t.Errorf("TestLogsCredential: %+v\n%s", tc, progress)
	}
	if res.Ladder[3].State != results.RungFailed {
		t.Errorf("L4 rung %+v", res.Ladder[3])
	}
}

// A skipped recipe test keeps the stage from passing, even when every
// other test passed; no tests at all is no pass either.
func TestRecordTestsSkipNeverPasses(t *testing.T) {
	parse := func(out string) gtr.Report {
		rep, err := gotest.NewParser().Parse(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	r, rec := &Run{Redact: &redact.Redactor{}, stageOut: io.Discard}, &Record{}
	err := r.recordTests(rec, parse("=== RUN   TestA\n--- PASS: TestA (0.01s)\n=== RUN   TestB\n    b_test.go:9: needs a GPU\n--- SKIP: TestB (0.00s)\nPASS\nok  \tx\t0.02s\n"), nil, "")
	if reason, ok := IsSkip(err); !ok || !strings.Contains(reason, "TestB") || len(rec.Tests) != 2 || rec.Tests[1].Reason != "b_test.go:9: needs a GPU" {
		t.Errorf("pass + skip: %v, tests %+v", err, rec.Tests)
	}
	r = &Run{Redact: &redact.Redactor{}, stageOut: io.Discard}
	if reason, ok := IsSkip(r.recordTests(&Record{}, parse("testing: warning: no tests to run\nPASS\nok  \tx\t0.01s\n"), nil, "")); !ok || !strings.Contains(reason, "no recipe test ran") {
		t.Errorf("no tests: %q", reason)
	}
	// Masks come from the mask file (a value too short to be a credential
	// is ignored), never from the output.
	r = &Run{Redact: &redact.Redactor{}, stageOut: io.Discard, cfg: config{output: Output{WorkDir: t.TempDir()}}}
	r.Redact.Add("s3cr3t-value-1234")
	masks, err := r.newMaskFile()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(masks, []byte("generated-cred-5678\nfail\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.takeMasks(masks); err != nil {
		t.Fatal(err)
	}
	out := "=== RUN   TestC\n::recipe-test-mask::failing-word\n    c_test.go:3: pw generated-cred-5678 and s3cr3t-value-1234 fail\n--- PASS: TestC (0.00s)\nPASS\n"
	rec = &Record{}
	if err := r.recordTests(rec, parse(out), nil, out); err != nil || strings.Contains(rec.Tests[0].Output, "generated-cred-5678") || strings.Contains(rec.Tests[0].Output, "s3cr3t") ||
		!strings.Contains(rec.Tests[0].Output, "::recipe-test-mask::failing-word") || !strings.Contains(rec.Tests[0].Output, "*** fail") {
		t.Errorf("masking: %v %+v", err, rec.Tests)
	}
}

// The action image has no Go toolchain: a precompiled <name>.test beside
// recipe.toml is run instead of `go test`, with the same results.
func TestCustomStagePrecompiled(t *testing.T) {
	root := testenv.RepoRoot(t)
	dir := filepath.Join(t.TempDir(), "example")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "[recipe]\npath = \"" + filepath.Join(root, "testdata", "recipes", "example") + "\"\n"
	if err := os.WriteFile(filepath.Join(dir, "recipe.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "-c", "-o", filepath.Join(dir, "example.test"), "./recipes/example")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	// Outside the module, `go test` could not build anything here.
	res, progress := execute(t, Options{Source: Source{Recipe: "example", RecipesDir: filepath.Dir(dir)}, Stages: []string{StageCustom}})
	st := wantStage(t, res, "custom", results.Pass)
	if !strings.Contains(st.Output, "running the precompiled tests") || len(st.Tests) != 5 {
		t.Errorf("custom stage: %+v\n%s", st, progress)
	}
	// A relative recipes folder, as the action's recipes-dir input in a
	// workspace gives it: the binary is run all the same (the tests run in
	// the enrollment folder, where the relative path would not lead).
	t.Chdir(filepath.Dir(filepath.Dir(dir)))
	res, progress = execute(t, Options{Source: Source{Recipe: "example", RecipesDir: filepath.Base(filepath.Dir(dir))}, Stages: []string{StageCustom}})
	st = wantStage(t, res, "custom", results.Pass)
	if !strings.Contains(st.Output, "running the precompiled tests "+filepath.Join(dir, "example.test")) || len(st.Tests) != 5 {
		t.Errorf("custom stage from a relative recipes folder: %+v\n%s", st, progress)
	}
	// Compressed, as the action image keeps it: unpacked into the run's
	// folder, run, and removed.
	xzCmd := exec.Command("xz", "-9e", filepath.Join(dir, "example.test"))
	if out, err := xzCmd.CombinedOutput(); err != nil {
		t.Fatalf("xz: %v\n%s", err, out)
	}
	work := t.TempDir()
	res, progress = execute(t, Options{Source: Source{Recipe: "example", RecipesDir: filepath.Dir(dir)}, Stages: []string{StageCustom},
		Output: Output{WorkDir: work}})
	st = wantStage(t, res, "custom", results.Pass)
	if !strings.Contains(st.Output, "running the precompiled tests "+filepath.Join(work, "example.test")) || len(st.Tests) != 5 {
		t.Errorf("custom stage with a compressed binary: %+v\n%s", st, progress)
	}
	if _, err := os.Stat(filepath.Join(work, "example.test")); !os.IsNotExist(err) {
		t.Errorf("the unpacked binary was left in the run's folder: %v", err)
	}
}

// A recipe may keep its tests in its own repository, as a Go module of
// their own that requires a released recipe-test: the enrollment folder
// (--enrollment) holds recipe.toml, go.mod, go.sum and the tests, and the
// custom stage builds them there with `go test`, against the harness of
// the release go.mod names (this checkout here, through a replace
// directive), with the same results as in recipes/; or runs the test
// binary built there.
func TestCustomStageTestsInTheirOwnModule(t *testing.T) {
	root := testenv.RepoRoot(t)
	dir := filepath.Join(t.TempDir(), "recipe-test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(root, "recipes", "example", "example_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go [0-9.]+$`).Find(goMod)
	if goLine == nil {
		t.Fatalf("%s/go.mod has no go line", root)
	}
	files := map[string]string{
		"recipe.toml":     "[recipe]\nname = \"example\"\n",
		"go.mod":          fmt.Sprintf("module example.org/example/recipe-test\n\n%s\n\nrequire github.com/cc-ci/recipe-test/v2 v2.0.0\n\nreplace github.com/cc-ci/recipe-test/v2 => %s\n", goLine, root),
		"example_test.go": string(tests),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// As the recipe's maintainer does once: go mod tidy writes go.sum
	// (from the module cache; the replace means this module is not
	// downloaded).
	tidy := exec.CommandContext(t.Context(), "go", "mod", "tidy")
	tidy.Dir = dir
	tidy.Env = append(os.Environ(), "GOWORK=off")
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	opts := Options{Source: Source{Recipe: filepath.Join(root, "testdata", "recipes", "example"), Enrollment: dir},
		Stages: []string{StageCustom}}
	check := func(how string) {
		t.Helper()
		res, progress := execute(t, opts)
		st := wantStage(t, res, "custom", results.Pass)
		if !strings.Contains(st.Output, how) || len(st.Tests) != 5 {
			t.Errorf("custom stage, want %q: %+v\n%s", how, st, progress)
		}
		for _, tc := range st.Tests {
			if tc.Status != results.Pass {
				t.Errorf("%s: %s %s", tc.Name, tc.Status, tc.Reason)
			}
		}
	}
	check("running go test -json in " + dir)
	// As a workflow does for the action image, which has no Go: the test
	// binary built in the tests' module, static, beside recipe.toml.
	build := exec.CommandContext(t.Context(), "go", "test", "-c", "-trimpath", "-o", "example.test", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	check("running the precompiled tests " + filepath.Join(dir, "example.test"))
}

// A compressed test binary that does not unpack is an error naming it,
// and leaves nothing where it was to be unpacked.
func TestUnpackTestsRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "x.test.xz")
	if err := os.WriteFile(bad, []byte("not xz at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "x.test")
	if _, err := unpackTests(bad, dst); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("err = %v, want one naming %s", err, bad)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", dst, err)
	}
	// Never over a file already there (the run's folder is its own).
	good := filepath.Join(dir, "y.test")
	if err := os.WriteFile(good, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("xz", "-k", good)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xz: %v\n%s", err, out)
	}
	if _, err := unpackTests(good+".xz", good); err == nil {
		t.Error("unpacked over an existing file")
	}
	os.Remove(good)
	if got, err := unpackTests(good+".xz", good); err != nil || got != good {
		t.Errorf("unpack: %q, %v", got, err)
	}
	if data, _ := os.ReadFile(good); string(data) != "#!/bin/sh\n" {
		t.Errorf("unpacked %q", data)
	}
}
