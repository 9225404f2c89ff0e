// Package heartbeat keeps a long wait audible: a waiting loop reports its
// state each time it looks, and the state is said when it changes, or
// again, with the time spent and left, when it has not changed for a while.
// A pulled image or minutes of 502s then no longer look like a hang.
package heartbeat

import (
	"fmt"
	"time"
)

// DefaultEvery is how long an unchanged state goes unsaid.
const DefaultEvery = 30 * time.Second

// Beat says a waiting loop's state.
type Beat struct {
	say      func(string)
	every    time.Duration
	start    time.Time
	deadline time.Time // zero: no end known
	now      func() time.Time

	last     string
	lastSaid time.Time
}

// New starts a heartbeat for a wait of up to timeout (0: unknown), saying
// lines with say, repeating an unchanged state every every (0:
// DefaultEvery).
func New(say func(string), timeout, every time.Duration) *Beat {
	return newAt(say, timeout, every, time.Now)
}

func newAt(say func(string), timeout, every time.Duration, now func() time.Time) *Beat {
	if every <= 0 {
		every = DefaultEvery
	}
	b := &Beat{say: say, every: every, start: now(), now: now}
	if timeout > 0 {
		b.deadline = b.start.Add(timeout)
	}
	return b
}

// Update reports the state as of now: said at once when it changed, said
// again with the elapsed and remaining time when it has not for a while.
func (b *Beat) Update(state string) {
	now := b.now()
	switch {
	case state != b.last:
		b.say(state)
	case now.Sub(b.lastSaid) >= b.every:
		b.say(fmt.Sprintf("%s (still waiting: %s)", state, b.times(now)))
	default:
		return
	}
	b.last, b.lastSaid = state, now
}

func (b *Beat) times(now time.Time) string {
	elapsed := now.Sub(b.start).Round(time.Second)
	if b.deadline.IsZero() {
		return fmt.Sprintf("%s so far", elapsed)
	}
	left := max(b.deadline.Sub(now), 0).Round(time.Second)
	return fmt.Sprintf("%s so far, up to %s left", elapsed, left)
}
