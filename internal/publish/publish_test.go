package publish

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/forge"
	"github.com/cc-ci/recipe-test/v2/internal/report"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// A recipe with a megabyte TYPE and 10,000 names left behind still gets a
// comment the forge accepts: within the limit, starting with its marker,
// then its verdict.
func TestCommentWithinLimit(t *testing.T) {
	name := strings.Repeat("x", 1<<20)
	run := &results.Run{Status: results.Fail, Recipe: name, Stages: []results.Stage{
		{Name: "install", Status: results.Pass}, {Name: "teardown", Status: results.Fail, Reason: "left behind"}}}
	for i := range 10000 {
		run.Residue = append(run.Residue, fmt.Sprintf("volume app-c0ffee_test_data%05d", i))
	}
	run.ComputeLadder(nil)
	body := Comment(run, name)
	if len(body) > report.MaxMarkdown {
		t.Fatalf("comment is %d bytes, over %d", len(body), report.MaxMarkdown)
	}
	marker := forge.Marker(clipName(name))
	if len(marker) > 200 {
		t.Errorf("marker is %d bytes", len(marker))
	}
	if !strings.HasPrefix(body, marker+"\n### "+report.Verdict(run)+"\n") {
		t.Errorf("comment does not start with the marker and the verdict:\n%.400s", body)
	}
	// The same name always gives the same marker: the comment is found again.
	if Comment(run, name)[:len(marker)] != marker {
		t.Error("marker not deterministic")
	}
}
