package results

import "github.com/cc-ci/recipe-test/v2/internal/lifecycle"

// RungState is how far a rung of the level ladder got.
type RungState string

const (
	RungPassed        RungState = "passed"
	RungFailed        RungState = "failed"
	RungUnverified    RungState = "unverified"     // never run, or skipped
	RungNotApplicable RungState = "not-applicable" // declared by the recipe, with a reason; counts as passed
)

// Rung is one level of the ladder: L1 installs, L2 upgrades, L3 backs up and
// restores with data integrity, L4 functional tests pass, L5 lint clean.
type Rung struct {
	Level  int       `json:"level"`
	Name   string    `json:"name"`
	State  RungState `json:"state"`
	Reason string    `json:"reason,omitempty"`
}

// MaxLevel is the top of the ladder.
const MaxLevel = lifecycle.MaxLevel

// ComputeLadder fills r.Ladder and r.Level from the stages. notApplicable
// maps a rung's level to the reason the recipe declared it not applicable.
// The level is the highest rung with every rung below it passed; a rung
// that never ran is unverified, not passed. L1 means the ref under test
// installs fresh: an install that ran another release (Stage.Release)
// leaves it unverified.
func (r *Run) ComputeLadder(notApplicable map[int]string) {
	r.Ladder = r.Ladder[:0]
	r.Level = 0
	climbing := true
	for i, rs := range lifecycle.Rungs() {
		rung := Rung{Level: rs.Level, Name: rs.Name, State: RungPassed}
		if reason, ok := notApplicable[i+1]; ok {
			rung.State, rung.Reason = RungNotApplicable, reason
		} else {
			for _, name := range lifecycle.RungStages(rs.Level) {
				st, ok := r.Stage(name)
				switch {
				case !ok:
					rung.State, rung.Reason = RungUnverified, name+" did not run"
				case st.Status == Fail:
					rung.State, rung.Reason = RungFailed, name+" failed"
				case st.Status == Skip && rung.State == RungPassed:
					rung.State, rung.Reason = RungUnverified, name+" skipped: "+st.Reason
				case name == "install" && st.Release != "" && st.Release != r.HeadRelease():
					rung.State, rung.Reason = RungUnverified, "install ran release "+st.Release+", not the ref under test ("+r.HeadRelease()+")"
				}
				if rung.State == RungFailed {
					break
				}
			}
		}
		if climbing && (rung.State == RungPassed || rung.State == RungNotApplicable) {
			r.Level = i + 1
		} else {
			climbing = false
		}
		r.Ladder = append(r.Ladder, rung)
	}
}
