package budget

import (
	"fmt"
	"strings"
)

// Standing is where one ticket stands in the queue of live tickets.
type Standing struct {
	Place, Of int  // 1-based place among the live tickets; 0 when not there
	Admitted  bool // the ticket's run may go
	// Capacity is the capacity the ticket's admission is judged against:
	// the smallest of its own and those of the tickets ahead of it.
	Capacity int
	Held     int      // slots held by admitted runs
	Holders  []Ticket // the admitted runs
}

// Admit judges the queue (live tickets in queue order), strictly first in
// first out: walking from the front, a ticket is admitted while the
// weights up to and including it fit the capacity, and the first one that
// does not fit stops everyone behind it. So a heavy run is never passed
// by lighter ones that came later: it waits for slots to free up and then
// goes. The capacity is the smallest of the tickets' up to the one
// judged: runs started with different budgets never hold more together
// than any of them allows. It returns how many tickets at the front are
// admitted.
func Admit(queue []Ticket) int {
	sum, capacity := 0, 0
	for i, t := range queue {
		if i == 0 || t.Capacity < capacity {
			capacity = t.Capacity
		}
		sum += t.Weight
		if sum > capacity {
			return i
		}
	}
	return len(queue)
}

// StandingOf says where the ticket with id stands in queue.
func StandingOf(queue []Ticket, id string) Standing {
	n := Admit(queue)
	s := Standing{Of: len(queue), Holders: queue[:n]}
	for _, t := range s.Holders {
		s.Held += t.Weight
	}
	for i, t := range queue {
		if i == 0 || t.Capacity < s.Capacity {
			s.Capacity = t.Capacity
		}
		if t.ID == id {
			s.Place, s.Admitted = i+1, i < n
			break
		}
	}
	return s
}

// Waiting is the line a waiting run prints.
func (s Standing) Waiting() string {
	held := "none"
	if len(s.Holders) > 0 {
		names := make([]string, len(s.Holders))
		for i, t := range s.Holders {
			names[i] = t.String()
		}
		held = strings.Join(names, ", ")
	}
	return fmt.Sprintf("waiting for the run budget: place %d of %d, %d of %d slots held by %s", s.Place, s.Of, s.Held, s.Capacity, held)
}
