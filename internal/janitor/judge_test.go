package janitor

import (
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

func TestJudge(t *testing.T) {
	const stack = "exam-1a2b3c_jan_test"
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	ours := map[string]string{swarm.LabelNamespace: stack, swarm.LabelRun: "1a2b3c"}
	theirs := map[string]string{swarm.LabelNamespace: stack}
	obj := func(kind string, labels map[string]string, age time.Duration) swarm.Object {
		o := swarm.Object{Resource: swarm.Resource{Kind: kind, Name: stack + "_" + kind, ID: kind}, Labels: labels}
		if age >= 0 {
			o.Created = now.Add(-age)
		}
		return o
	}
	for _, tc := range []struct {
		name  string
		stack string
		objs  []swarm.Object
		grace time.Duration
		skip  string // substring of the reason; "" = reap
	}{
		{"orphan", stack, []swarm.Object{obj("service", ours, time.Hour), obj("volume", ours, time.Hour)}, time.Minute, ""},
		{"leftovers only", stack, []swarm.Object{obj("volume", ours, time.Hour), obj("secret", ours, time.Hour), obj("network", ours, time.Hour)}, 0, ""},
		{"not run-scoped", "rtfix-crash", []swarm.Object{obj("service", ours, time.Hour)}, 0, "not a run-scoped"},
		{"service unlabelled", stack, []swarm.Object{obj("service", theirs, time.Hour), obj("volume", ours, time.Hour)}, 0, "service " + stack + "_service has no"},
		{"one of two services unlabelled", stack, []swarm.Object{obj("service", ours, time.Hour), obj("service", theirs, time.Hour)}, 0, "has no"},
		{"leftover unlabelled", stack, []swarm.Object{obj("volume", ours, time.Hour), obj("config", theirs, time.Hour)}, 0, "config " + stack + "_config has no"},
		{"only containers", stack, []swarm.Object{obj("container", ours, time.Hour)}, 0, "only containers"},
		{"young", stack, []swarm.Object{obj("service", ours, 10*time.Second)}, time.Minute, "younger than the grace period (10s < 1m0s)"},
		{"oldest counts", stack, []swarm.Object{obj("service", ours, 10*time.Second), obj("volume", ours, 2*time.Minute)}, time.Minute, ""},
		{"no time", stack, []swarm.Object{obj("service", ours, -1)}, 0, "age unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := judge(tc.stack, tc.objs, now, tc.grace)
			switch {
			case tc.skip == "" && j.Skip != "":
				t.Errorf("spared (%s), want reaped", j.Skip)
			case tc.skip != "" && !strings.Contains(j.Skip, tc.skip):
				t.Errorf("reason %q, want one containing %q", j.Skip, tc.skip)
			case tc.skip == "" && j.RunID != "1a2b3c":
				t.Errorf("run id %q, want 1a2b3c", j.RunID)
			}
		})
	}
}
