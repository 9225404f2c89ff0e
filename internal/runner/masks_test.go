package runner

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
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
