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

// junitDoc is the part of a JUnit document the tests read back.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Out      string `xml:"system-out"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Out string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, run *results.Run) junitDoc {
	t.Helper()
	var buf bytes.Buffer
	if err := JUnit(&buf, run); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, buf.String())
	}
	return doc
}

func TestJUnitParsesBack(t *testing.T) {
	doc := parseJUnit(t, sampleRun())
	if len(doc.Suites) != 3 || doc.Tests != 3 || doc.Failures != 1 {
		t.Fatalf("%d suites, tests=%d failures=%d", len(doc.Suites), doc.Tests, doc.Failures)
	}
	install, upgrade, teardown := doc.Suites[0], doc.Suites[1], doc.Suites[2]
	if install.Name != "recipe-test/example/install" || upgrade.Skipped != 1 || teardown.Failures != 1 {
		t.Errorf("suites %+v", doc.Suites)
	}
	if got := install.Cases[0].Out; strings.Contains(got, "\x1b") || !strings.Contains(got, "converged ok") || !strings.Contains(got, "]]> end") {
		t.Errorf("install output = %q", got)
	}
	if f := teardown.Cases[0].Failure; f == nil || f.Message != "residue: volume exam-c0ffee_ci_test_data" {
		t.Errorf("teardown failure = %+v", f)
	}
}

// Every check counts once: a stage's failure is carried by its failed
// tests when it has some, by the stage itself otherwise; a run that could
// not start is an error, not a failure.
func TestJUnitCountsOnce(t *testing.T) {
	goTests := func(status results.Status) []results.Test {
		return []results.Test{{Name: "TestHome", Status: results.Pass}, {Name: "TestLogin", Status: status, Reason: "login page: 500"}}
	}
	for name, tc := range map[string]struct {
		run                      *results.Run
		suites, cases            int
		failures, errors         int
		caseNames, failedOrError string
	}{
		"a failed Go test": {
			run:    &results.Run{Recipe: "r", Stages: []results.Stage{{Name: "custom", Status: results.Fail, Reason: "1 of 2 tests failed", Tests: goTests(results.Fail)}}},
			suites: 1, cases: 2, failures: 1, caseNames: "custom/TestHome custom/TestLogin", failedOrError: "custom/TestLogin",
		},
		"passed tests, the stage failed anyway": {
			run:    &results.Run{Recipe: "r", Stages: []results.Stage{{Name: "custom", Status: results.Fail, Reason: "test binary exited 2", Tests: goTests(results.Pass)}}},
			suites: 1, cases: 3, failures: 1, caseNames: "custom custom/TestHome custom/TestLogin", failedOrError: "custom",
		},
		"passed tests": {
			run:    &results.Run{Recipe: "r", Stages: []results.Stage{{Name: "install", Status: results.Pass}, {Name: "custom", Status: results.Pass, Output: "ok", Tests: goTests(results.Pass)}}},
			suites: 2, cases: 3, caseNames: "install custom/TestHome custom/TestLogin",
		},
		"could not start": {
			run:    &results.Run{Location: "recipes/bad", Error: "recipe.toml:3: unknown key"},
			suites: 1, cases: 1, errors: 1, caseNames: "plan", failedOrError: "plan",
		},
		"broke off after install": {
			run:    &results.Run{Recipe: "r", Error: "swarm: connection refused", Stages: []results.Stage{{Name: "install", Status: results.Pass}}},
			suites: 2, cases: 2, errors: 1, caseNames: "install run", failedOrError: "run",
		},
	} {
		t.Run(name, func(t *testing.T) {
			doc := parseJUnit(t, tc.run)
			var names, bad []string
			cases := 0
			for _, s := range doc.Suites {
				cases += s.Tests
				for _, c := range s.Cases {
					names = append(names, c.Name)
					if c.Failure != nil || c.Error != nil {
						bad = append(bad, c.Name)
					}
				}
			}
			if len(doc.Suites) != tc.suites || cases != tc.cases || doc.Tests != tc.cases || doc.Failures != tc.failures || doc.Errors != tc.errors {
				t.Errorf("%d suites, %d cases (total %d), %d failures, %d errors", len(doc.Suites), cases, doc.Tests, doc.Failures, doc.Errors)
			}
			if strings.Join(names, " ") != tc.caseNames || strings.Join(bad, " ") != tc.failedOrError {
				t.Errorf("cases %q, failed or errored %q", names, bad)
			}
		})
	}
}
