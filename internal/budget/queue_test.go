package budget

import (
	"errors"
	"strings"
	"testing"
)

func queueOf(specs ...[2]int) []Ticket {
	var q []Ticket
	for i, s := range specs {
		q = append(q, Ticket{ID: string(rune('a' + i)), RunID: string(rune('a'+i)) + "00000", Recipe: "r", Weight: s[0], Capacity: s[1]})
	}
	return q
}

// Admission is a prefix of the queue: strictly first in, first out, a
// heavy run never passed by later light ones, the smallest capacity so
// far the one that counts.
func TestAdmit(t *testing.T) {
	for name, tc := range map[string]struct {
		queue []Ticket
		want  int
	}{
		"empty":                        {nil, 0},
		"one of one":                   {queueOf([2]int{1, 1}), 1},
		"second of one waits":          {queueOf([2]int{1, 1}, [2]int{1, 1}), 1},
		"four fit four":                {queueOf([2]int{1, 4}, [2]int{1, 4}, [2]int{1, 4}, [2]int{1, 4}, [2]int{1, 4}), 4},
		"heavy blocks the light after": {queueOf([2]int{2, 3}, [2]int{2, 3}, [2]int{1, 3}), 1},
		"heavy first in line":          {queueOf([2]int{3, 3}, [2]int{1, 3}), 1},
		"a smaller budget ahead wins":  {queueOf([2]int{1, 1}, [2]int{1, 4}), 1},
		"a smaller budget behind":      {queueOf([2]int{1, 4}, [2]int{1, 4}, [2]int{1, 2}, [2]int{1, 4}), 2},
		"too heavy for the one ahead":  {queueOf([2]int{1, 1}), 1},
	} {
		if got := Admit(tc.queue); got != tc.want {
			t.Errorf("%s: %d admitted, want %d", name, got, tc.want)
		}
	}
}

func TestStandingWaiting(t *testing.T) {
	q := queueOf([2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1})
	st := StandingOf(q, "b")
	if st.Admitted || st.Place != 2 || st.Of != 3 {
		t.Fatalf("standing %+v", st)
	}
	if got, want := st.Waiting(), "waiting for the run budget: place 2 of 3, 1 of 1 slots held by run a00000 (r)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if st := StandingOf(q, "a"); !st.Admitted || st.Place != 1 {
		t.Errorf("the first: %+v", st)
	}
	if st := StandingOf(q, "z"); st.Place != 0 {
		t.Errorf("a ticket not in the queue: %+v", st)
	}
	if got := StandingOf(queueOf([2]int{3, 2}), "a").Waiting(); !strings.Contains(got, "0 of 2 slots held by none") {
		t.Errorf("nobody admitted: %q", got)
	}
}

func TestCheck(t *testing.T) {
	var heavy *TooHeavyError
	err := Request{Recipe: "big", Weight: 3, Capacity: 2}.Check()
	if !errors.As(err, &heavy) || !strings.Contains(err.Error(), "big takes 3 slots of the run budget, more than its capacity of 2") {
		t.Errorf("too heavy: %v", err)
	}
	if err := (Request{Recipe: "x", Weight: 2, Capacity: 2}).Check(); err != nil {
		t.Errorf("a run as heavy as the budget: %v", err)
	}
	if err := (Request{Recipe: "x", Weight: 0, Capacity: 2}).Check(); err == nil {
		t.Error("weight 0 accepted")
	}
}
