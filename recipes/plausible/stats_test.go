package plausible

import (
	"embed"
	"fmt"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness/shape"
)

// aggregate is the answer of GET /api/v1/stats/aggregate: each metric
// asked for, with its value.
type aggregate struct {
	Results map[string]struct {
		Value float64 `json:"value"`
	} `json:"results"`
}

// metric returns a metric's value, or an error when the answer lacks it.
func (a aggregate) metric(name string) (float64, error) {
	m, ok := a.Results[name]
	if !ok {
		return 0, fmt.Errorf("the aggregate has no metric %q (has %v)", name, a.Results)
	}
	return m.Value, nil
}

// breakdown is the answer of GET /api/v1/stats/breakdown: one row per value
// of the property, keyed by the property's name ("page" for event:page),
// with the metrics asked for.
type breakdown struct {
	Results []map[string]any `json:"results"`
}

// row returns the row whose key (the property's name) is value.
func (b breakdown) row(key, value string) (map[string]any, bool) {
	for _, r := range b.Results {
		if r[key] == value {
			return r, true
		}
	}
	return nil, false
}

// apiError is the stats API's error answer.
type apiError struct {
	Error string `json:"error"`
}

// health is the answer of GET /api/health.
type health struct {
	Postgres   string `json:"postgres"`
	Clickhouse string `json:"clickhouse"`
}

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.json
var fixtures embed.FS

func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	shape.Fixture(t, fixtures, "testdata/"+name, out)
}

// The documented answers decode into what the recipe tests read.
func TestParseDocumentedAnswers(t *testing.T) {
	var a aggregate
	decodeFixture(t, "aggregate.json", &a)
	if v, err := a.metric("visitors"); err != nil || v != 201524 {
		t.Errorf("visitors = %v, %v", v, err)
	}
	if v, err := a.metric("pageviews"); err != nil || v != 673814 {
		t.Errorf("pageviews = %v, %v", v, err)
	}
	if _, err := a.metric("events"); err == nil {
		t.Error("a metric the answer lacks was found")
	}
	var b breakdown
	decodeFixture(t, "breakdown-page.json", &b)
	r, ok := b.row("page", "/docs/")
	if !ok || r["visitors"] != float64(3142) {
		t.Errorf("breakdown row /docs/: %v %v", r, ok)
	}
	if _, ok := b.row("page", "/nowhere"); ok {
		t.Error("a page the breakdown lacks was found")
	}
	var e apiError
	decodeFixture(t, "error-missing-key.json", &e)
	if e.Error == "" {
		t.Error("the error answer has no message")
	}
	var h health
	decodeFixture(t, "health.json", &h)
	if h.Postgres != "ok" || h.Clickhouse != "ok" {
		t.Errorf("health %+v", h)
	}
}
