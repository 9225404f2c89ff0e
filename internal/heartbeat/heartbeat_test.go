package heartbeat

import (
	"reflect"
	"testing"
	"time"
)

func TestBeat(t *testing.T) {
	clock := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var said []string
	b := newAt(func(s string) { said = append(said, s) }, 5*time.Minute, 30*time.Second, func() time.Time { return clock })
	step := func(d time.Duration, state string) {
		clock = clock.Add(d)
		b.Update(state)
	}
	step(0, "0/2 services converged")
	step(10*time.Second, "0/2 services converged") // unchanged, too soon: silent
	step(25*time.Second, "0/2 services converged") // 35 s unchanged: said again
	step(5*time.Second, "1/2 services converged")  // changed: at once
	step(29*time.Second, "1/2 services converged") // silent
	step(2*time.Second, "1/2 services converged")  // 31 s: again
	want := []string{
		"0/2 services converged",
		"0/2 services converged (still waiting: 35s so far, up to 4m25s left)",
		"1/2 services converged",
		"1/2 services converged (still waiting: 1m11s so far, up to 3m49s left)",
	}
	if !reflect.DeepEqual(said, want) {
		t.Errorf("said %q\nwant %q", said, want)
	}

	said = nil
	b = newAt(func(s string) { said = append(said, s) }, 0, 0, func() time.Time { return clock })
	b.Update("x")
	clock = clock.Add(DefaultEvery)
	b.Update("x")
	if len(said) != 2 || said[1] != "x (still waiting: 30s so far)" {
		t.Errorf("no deadline: said %q", said)
	}
}
