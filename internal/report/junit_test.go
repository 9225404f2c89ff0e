package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

func sampleRun() *results.Run {
	run := &results.Run{
		Status: results.Fail, Recipe: "example", Ref: "main", Domain: "exam-c0ffee.ci.test",
		Stack: "exam-c0ffee_ci_test", RunID: "c0ffee", Started: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		DurationS: 12.5,
		Stages: []results.Stage{
			{Name: "install", Status: results.Pass, DurationS: 8.25, Output: "\x1b[32mconverged\x1b[0m ok \x00 ]]> end"},
			{Name: "upgrade", Status: results.Skip, Reason: "no earlier release"},
			{Name: "teardown", Status: results.Fail, DurationS: 4, Reason: "residue: volume exam-c0ffee_ci_test_data\nmore"},
		},
		Residue: []string{"volume exam-c0ffee_ci_test_data"},
	}
	run.ComputeLadder(nil)
	return run
}

func TestJUnitParsesBack(t *testing.T) {
	var buf bytes.Buffer
	if err := JUnit(&buf, sampleRun()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Skipped  int `xml:"skipped,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, buf.String())
	}
	s := doc.Suites[0]
	if s.Tests != 3 || s.Failures != 1 || s.Skipped != 1 {
		t.Errorf("counts tests=%d failures=%d skipped=%d", s.Tests, s.Failures, s.Skipped)
	}
	if got := s.Cases[0].Out; strings.Contains(got, "\x1b") || !strings.Contains(got, "converged ok") || !strings.Contains(got, "]]> end") {
		t.Errorf("install output = %q", got)
	}
	if f := s.Cases[2].Failure; f == nil || f.Message != "residue: volume exam-c0ffee_ci_test_data" {
		t.Errorf("teardown failure = %+v", f)
	}
}
