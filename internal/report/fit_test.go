package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// hostileRun is failRun with what a recipe built to break the comment can
// produce: a megabyte TYPE (the recipe name), ref and plan error, 10,000
// residue names, 10,000 failing tests and as many parity rows.
func hostileRun() *results.Run {
	run := failRun()
	run.Recipe = strings.Repeat("T", 1<<20)
	run.Ref = strings.Repeat("r", 1<<20)
	run.Error = strings.Repeat("e", 1<<20)
	for i := range 10000 {
		run.Residue = append(run.Residue, fmt.Sprintf("volume exam-c0ffee_ci_test_data%05d", i))
		run.Parity = append(run.Parity, results.ParityRow{Feature: fmt.Sprintf("feature %d", i), Check: "custom"})
	}
	custom := results.Stage{Name: "custom", Status: results.Fail, Reason: strings.Repeat("why ", 1<<18)}
	for i := range 10000 {
		custom.Tests = append(custom.Tests, results.Test{Name: fmt.Sprintf("Test%05d", i), Status: results.Fail, Reason: "no", Output: "boom\n"})
	}
	run.Stages = append(run.Stages, custom)
	run.ComputeLadder(nil)
	return run
}

// Whatever the recipe puts in its strings and however long the lists, the
// report fits the comment limit and keeps its verdict, its tables' heads
// and a count of what it left out.
func TestMarkdownFitsHostileInput(t *testing.T) {
	run := hostileRun()
	for _, limit := range []int{MaxMarkdown, 20000, 4000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			out := RenderMarkdown(run, limit)
			if len(out) > limit {
				t.Fatalf("%d bytes, over the limit of %d", len(out), limit)
			}
			if !utf8.ValidString(out) {
				t.Error("cut inside a character")
			}
			verdict := Verdict(run)
			if len(verdict) > 300 {
				t.Errorf("verdict is %d bytes: the recipe name is not bounded", len(verdict))
			}
			if !strings.HasPrefix(out, "### "+verdict+"\n") {
				t.Errorf("the verdict does not head the report:\n%.300s", out)
			}
			if limit < MaxMarkdown {
				return
			}
			for _, want := range []string{"Left behind after teardown (10001)", "… and ", "| L1 | installs |", "| ↳ Test00000 | ❌ fail |"} {
				if !strings.Contains(out, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if n := strings.Count(out, "- `volume "); n == 0 || n >= 10000 {
				t.Errorf("%d residue names listed, want some but not all", n)
			}
		})
	}
}

// A report that fits is rendered whole: no list is cut and no string
// clipped.
func TestMarkdownFitsUncut(t *testing.T) {
	run := failRun()
	for i := range 50 {
		run.Residue = append(run.Residue, fmt.Sprintf("volume v%d", i))
	}
	out := RenderMarkdown(run, MaxMarkdown)
	if strings.Contains(out, "… and") || strings.Count(out, "- `volume ") != 51 {
		t.Errorf("a report that fits was cut:\n%s", out)
	}
}

func TestClipText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"short", 0, "short"},
		{"abcdefghij", 6, "abc…"},
		{"ééééé", 6, "é…"}, // never inside a character
		{"abcdef", 2, "ab"},
	} {
		if got := clipText(tc.in, tc.n); got != tc.want || len(got) > max(tc.n, len(tc.in)) {
			t.Errorf("clipText(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
