package runner

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// wantReportsParse fails the test unless results.json and junit.xml in out
// read back.
func wantReportsParse(t *testing.T, out string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var run results.Run
	if err := json.Unmarshal(data, &run); err != nil {
		t.Errorf("results.json does not parse: %v\n%s", err, data)
	}
	if data, err = os.ReadFile(filepath.Join(out, "junit.xml")); err != nil {
		t.Fatal(err)
	}
	var suites junit.Testsuites
	if err := xml.Unmarshal(data, &suites); err != nil || len(suites.Suites) == 0 {
		t.Errorf("junit.xml does not parse: %v\n%s", err, data)
	}
}

// A recipe URL's credentials are in no output file, and values spelled
// like the files' own syntax ("fail", a tag, a quoted key) registered as
// secrets leave results.json and junit.xml valid: the results are masked
// before they are encoded. The run stops at its plan (the URL answers
// nothing), which is enough: every output is written all the same.
func TestOutputsMaskedBeforeEncoding(t *testing.T) {
	const secret = "tok3n-s3cr3t-value"
	out := t.TempDir()
	var masked []string
	res, err := Execute(context.Background(), Options{Source: Source{Recipe: "https://user:" + secret + "@127.0.0.1:1/o/fail.git", Ref: "fail<testcase", RecipesDir: t.TempDir()},
		Janitor: Janitor{LockDir: t.TempDir()},
		Hooks:   Hooks{OnSecret: func(v string) { masked = append(masked, v) }},
		Output:  Output{Dir: out, Redact: []string{"fail", "<testcase", `"status"`, "name="}}})
	var pe *PlanError
	if !errors.As(err, &pe) || res == nil {
		t.Fatalf("Execute: %v, %+v", err, res)
	}
	if !slices.Contains(masked, secret) {
		t.Errorf("the URL's password was not passed to OnSecret: %q", masked)
	}
	wantReportsParse(t, out)
	for _, name := range []string{"results.json", "junit.xml", "report.md"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), secret) || strings.Contains(string(data), "user:") {
			t.Errorf("%s shows the URL's credentials:\n%s", name, data)
		}
		if !strings.Contains(string(data), "https://***@127.0.0.1:1/o/***.git") {
			t.Errorf("%s does not show the masked location:\n%s", name, data)
		}
	}
	if res.Status != results.Fail || strings.Contains(res.Error, secret) || strings.Contains(res.Location, secret) {
		t.Errorf("results: %+v", res)
	}
}

// A secret made by a command in the recipe's image is what that image
// prints, so the recipe controls it: a short word ("fail") is refused,
// never registered as a mask that would blank it in every report.
func TestSecretCommandCannotMaskAWord(t *testing.T) {
	toml := "[secrets.api_key]\nvalue = \"api-key-{{.RunID}}\"\n[secrets.salt]\nrandom = { length = 40 }\n" +
		"[secrets.plc_key]\ncommand = [\"/bin/busybox\", \"echo\", \"fail\"]\n"
	var masksFail bool
	opts := Options{Source: Source{Recipe: fixture(t, "supplied-secrets"), Enrollment: writeEnrollment(t, toml)},
		Stages: []string{StageInstall}}
	observe := func(_ context.Context, stage string, r *Run) {
		masksFail = masksFail || r.Redact.String("a fail") != "a fail"
	}
	res, progress := execute(t, opts, observe)
	wantStage(t, res, StageInstall, results.Fail, "secrets.plc_key.command", "printed a value of 4 characters")
	if masksFail || strings.Contains(progress, "***") {
		t.Errorf("the word the image printed is masked:\n%s", progress)
	}
}
