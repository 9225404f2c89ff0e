package lifecycle

import (
	"slices"
	"testing"
)

func TestSelect(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
		err  string
	}{
		{in: []string{"custom,install"}, want: []string{Install, Custom}},
		{in: []string{"restore"}, want: []string{Backup, Restore}},         // restore brings backup
		{in: []string{" lint ", "teardown", "lint"}, want: []string{Lint}}, // spaces, teardown and repeats dropped
		{in: []string{"teardown"}, want: nil},                              // the caller says there is nothing to test
		{in: []string{"install,bogus"}, err: `unknown stage "bogus": stages are lint, install, upgrade, backup, restore, custom (teardown always runs)`},
	} {
		got, err := Select(tc.in)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("Select(%q) error %v, want %s", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("Select(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// Every rung is reached by at least one stage, every stage climbs a rung
// of the ladder, and what a stage brings runs before it.
func TestLadderCoversTheLifecycle(t *testing.T) {
	rungs := Rungs()
	if len(rungs) != MaxLevel {
		t.Fatalf("%d rungs, MaxLevel %d", len(rungs), MaxLevel)
	}
	for i, r := range rungs {
		if r.Level != i+1 || len(RungStages(r.Level)) == 0 {
			t.Errorf("rung %+v: level out of order or no stage reaches it", r)
		}
	}
	names := Names()
	for _, s := range Stages() {
		if s.Rung < 1 || s.Rung > MaxLevel {
			t.Errorf("stage %s climbs no rung (%d)", s.Name, s.Rung)
		}
		for _, b := range s.Brings {
			if slices.Index(names, b) >= slices.Index(names, s.Name) || b == s.Name {
				t.Errorf("stage %s brings %s, which does not run before it", s.Name, b)
			}
		}
	}
	if got := RungKeys(); len(got) != MaxLevel-1 || got["backup_restore"] != 3 || got["lint"] != 5 {
		t.Errorf("rung keys %v", got)
	}
}
