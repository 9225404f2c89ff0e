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

	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// JUnit writes the run as JUnit XML, one test suite per stage, so that a
// CI test view counts every check once. A stage with tests of its own
// (lint's rules, the recipe's Go tests, the two restores) is the suite of
// those tests, named "<stage>/<test>"; the stage itself is a testcase only
// when nothing else carries its outcome: it has no tests, it was skipped,
// or it failed without a failed test to show for it. A run that could not
// start (or not finish) adds an <error>: nothing failed, the run broke.
// The run's facts are the first suite's properties (<testsuites> has none).
func JUnit(w io.Writer, run *results.Run) error {
	var suites junit.Testsuites
	class := "recipe-test." + runName(run)
	for _, st := range run.Stages {
		suite := runSuite(run, "/"+st.Name, st.DurationS)
		if stageCase(st) {
			suite.AddTestcase(testcase(class, st.Name, st.Status, st.DurationS, st.Reason, st.Output))
		} else if out := xmlSafe(st.Output); out != "" {
			suite.SystemOut = &junit.Output{Data: out}
		}
		for _, t := range st.Tests {
			suite.AddTestcase(testcase(class+"."+st.Name, st.Name+"/"+t.Name, t.Status, t.DurationS, t.Reason, t.Output))
		}
		addSuite(&suites, suite)
	}
	if run.Error != "" {
		name := "run" // it started, and broke off
		if len(run.Stages) == 0 {
			name = "plan"
		}
		suite := runSuite(run, "", 0)
		msg := xmlSafe(run.Error)
		suite.AddTestcase(junit.Testcase{Name: name, Classname: xmlSafe(class), Time: seconds(0),
			Error: &junit.Result{Message: excerpt.FirstLine(msg), Type: "error", Data: msg}})
		addSuite(&suites, suite)
	}
	if len(suites.Suites) > 0 {
		suites.Suites[0].Properties = runProperties(run)
	}
	return suites.WriteXML(w)
}

// stageCase says whether a stage is a testcase of its own suite: see JUnit.
func stageCase(st results.Stage) bool {
	if len(st.Tests) == 0 || st.Status == results.Skip {
		return true
	}
	if st.Status != results.Fail {
		return false
	}
	for _, t := range st.Tests {
		if t.Status == results.Fail {
			return false
		}
	}
	return true
}

// runName is the recipe's name, else (a run that could not start may not
// know it) where it was asked to be found.
func runName(run *results.Run) string {
	if run.Recipe != "" {
		return run.Recipe
	}
	return run.Location
}

// runSuite is an empty suite named after the run (and a stage, in suffix).
func runSuite(run *results.Run, suffix string, dur float64) junit.Testsuite {
	suite := junit.Testsuite{Name: xmlSafe("recipe-test/" + runName(run) + suffix), Package: xmlSafe(run.Location), Time: seconds(dur)}
	if !run.Started.IsZero() {
		suite.SetTimestamp(run.Started)
	}
	return suite
}

// runProperties are the run's facts as JUnit properties.
func runProperties(run *results.Run) *[]junit.Property {
	var props []junit.Property
	for _, p := range [][2]string{
		{"recipe", run.Recipe}, {"ref", run.Ref}, {"commit", run.Commit}, {"domain", run.Domain},
		{"stack", run.Stack}, {"version", run.Version}, {"base_version", run.BaseVersion},
		{"level", strconv.Itoa(run.Level)}, {"status", string(run.Status)},
		{"residue", strings.Join(run.Residue, ", ")}, {"tool_version", run.ToolVersion},
	} {
		if p[1] != "" {
			props = append(props, junit.Property{Name: p[0], Value: xmlSafe(p[1])})
		}
	}
	return &props
}

// addSuite numbers the suite (JUnit's id attribute) and adds it.
func addSuite(suites *junit.Testsuites, suite junit.Testsuite) {
	suite.ID = len(suites.Suites)
	suites.AddSuite(suite)
}

func testcase(class, name string, status results.Status, dur float64, reason, output string) junit.Testcase {
	tc := junit.Testcase{Name: xmlSafe(name), Classname: xmlSafe(class), Time: seconds(dur)}
	reason, output = xmlSafe(reason), xmlSafe(output)
	switch status {
	case results.Fail:
		tc.Failure = &junit.Result{Message: excerpt.FirstLine(reason), Type: "failure", Data: reason}
	case results.Skip:
		tc.Skipped = &junit.Result{Message: excerpt.FirstLine(reason)}
	}
	if output != "" {
		tc.SystemOut = &junit.Output{Data: output}
	}
	return tc
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

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
