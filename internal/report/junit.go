// Package report renders a run's results (internal/results) as JUnit XML,
// results.json and Markdown. Every output is computed from the one model.
package report

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// JUnit writes the run as one JUnit test suite: every stage is a testcase,
// and a stage's own tests (the recipe's functional tests) are testcases
// named "<stage>/<test>".
func JUnit(w io.Writer, run *results.Run) error {
	suite := junit.Testsuite{
		Name:    "recipe-test/" + run.Recipe,
		Package: run.Location,
		Time:    seconds(run.DurationS),
	}
	if !run.Started.IsZero() {
		suite.SetTimestamp(run.Started)
	}
	for _, p := range [][2]string{
		{"recipe", run.Recipe}, {"ref", run.Ref}, {"commit", run.Commit}, {"domain", run.Domain},
		{"stack", run.Stack}, {"version", run.Version}, {"base_version", run.BaseVersion},
		{"level", strconv.Itoa(run.Level)}, {"status", string(run.Status)},
		{"residue", strings.Join(run.Residue, ", ")},
	} {
		if p[1] != "" {
			suite.AddProperty(p[0], xmlSafe(p[1]))
		}
	}
	class := "recipe-test." + run.Recipe
	for _, st := range run.Stages {
		suite.AddTestcase(testcase(class, st.Name, st.Status, st.DurationS, st.Reason, st.Output))
		for _, t := range st.Tests {
			suite.AddTestcase(testcase(class+"."+st.Name, st.Name+"/"+t.Name, t.Status, t.DurationS, t.Reason, t.Output))
		}
	}
	if run.Error != "" && len(run.Stages) == 0 {
		suite.AddTestcase(testcase(class, "plan", results.Fail, 0, run.Error, ""))
	}
	var suites junit.Testsuites
	suites.AddSuite(suite)
	return suites.WriteXML(w)
}

func testcase(class, name string, status results.Status, dur float64, reason, output string) junit.Testcase {
	tc := junit.Testcase{Name: xmlSafe(name), Classname: xmlSafe(class), Time: seconds(dur)}
	reason, output = xmlSafe(reason), xmlSafe(output)
	switch status {
	case results.Fail:
		tc.Failure = &junit.Result{Message: firstLine(reason), Type: "failure", Data: reason}
	case results.Skip:
		tc.Skipped = &junit.Result{Message: firstLine(reason)}
	}
	if output != "" {
		tc.SystemOut = &junit.Output{Data: output}
	}
	return tc
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// ansiRe matches terminal escape sequences (CSI and OSC) in captured output.
var ansiRe = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]`)

// xmlSafe strips terminal escapes and replaces characters XML 1.0 cannot
// carry, so captured output never makes the report invalid.
func xmlSafe(s string) string {
	s = ansiRe.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == 0x09 || r == 0x0A || r == 0x0D,
			r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
