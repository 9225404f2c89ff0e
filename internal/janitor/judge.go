package janitor

import (
	"fmt"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// judgement is the janitor's judgement of one stack before its lock is
// looked at: Skip says why it is spared, "" when it may be reaped.
type judgement struct {
	Skip  string
	RunID string
	Age   time.Duration
}

// judge applies the rules that make a stack ours and abandoned, save the
// lock: its name is run-scoped (naming.IsRunStack); it carries swarm.LabelRun
// on every service, or, once its services are gone, on every leftover
// volume, secret, config and network; and its oldest resource is at least
// grace old at now. objs are the resources carrying the stack's label.
func judge(stack string, objs []swarm.Object, now time.Time, grace time.Duration) judgement {
	if !naming.IsRunStack(stack) {
		return judgement{Skip: "not a run-scoped stack name"}
	}
	var proof []swarm.Object // the resources that must carry our run label
	for _, o := range objs {
		if o.Kind == swarm.KindService {
			proof = append(proof, o)
		}
	}
	if len(proof) == 0 {
		for _, o := range objs {
			if o.Kind != swarm.KindContainer {
				proof = append(proof, o)
			}
		}
	}
	if len(proof) == 0 {
		// Task containers swarm is still destroying: nothing to prove the
		// stack ours, and nothing a later run cannot pick up.
		return judgement{Skip: "only containers left, none carrying proof of a run"}
	}
	var runID string
	for _, o := range proof {
		id := o.Labels[swarm.LabelRun]
		if id == "" {
			return judgement{Skip: fmt.Sprintf("%s has no %s label: not ours", o, swarm.LabelRun)}
		}
		if runID == "" {
			runID = id
		}
	}
	var oldest time.Time
	for _, o := range objs {
		if !o.Created.IsZero() && (oldest.IsZero() || o.Created.Before(oldest)) {
			oldest = o.Created
		}
	}
	if oldest.IsZero() {
		return judgement{Skip: "age unknown: no resource says when it was created", RunID: runID}
	}
	age := now.Sub(oldest)
	if age < grace {
		return judgement{Skip: fmt.Sprintf("younger than the grace period (%s < %s)", age.Round(time.Second), grace), RunID: runID, Age: age}
	}
	return judgement{RunID: runID, Age: age}
}
