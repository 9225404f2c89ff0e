package ingress

import (
	"context"
	"fmt"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/heartbeat"
	"github.com/cc-ci/recipe-test/v2/internal/sleep"
)

// Defaults of a probe's bounds.
const (
	defaultProbeTimeout  = 2 * time.Minute
	defaultProbeInterval = 500 * time.Millisecond
)

// attempt is the outcome of one try of a probe.
type attempt struct {
	ready bool   // the app answered as a ready app does
	state string // the answer, for humans
	// heard says the app took part (a status came back, a TCP connection
	// was accepted, bytes came back): an attempt the probe's own end cut
	// short before that says nothing about the app.
	heard bool
}

// poll is the retry loop of the HTTP and the stream probes: it tries at
// an interval until an attempt is ready or the timeout passes, and says
// each answer through a heartbeat (at once when it changes, again now and
// then while it does not), so that minutes of 502s or refused
// connections never look like a hang.
type poll struct {
	what      string        // what is probed, in errors: a URL, a stream's name
	label     string        // what each progress line starts with: "GET <url>", a stream's name
	accepting string        // what counts as ready, for the error: " (accepting 200, 301, 302)"
	timeout   time.Duration // the whole probe; <= 0 = defaultProbeTimeout
	interval  time.Duration // the pause between attempts; <= 0 = defaultProbeInterval
	every     time.Duration // how long an unchanged answer goes unsaid; 0 = heartbeat.DefaultEvery
	progress  func(string)  // nil = silent
}

// run tries until an attempt is ready. It returns the attempts made and
// the time taken, and an error naming what was probed and its last
// answer: wrapping ErrNotReady when the timeout passed first, or ctx's
// error when ctx ended.
func (p poll) run(ctx context.Context, try func(ctx context.Context) attempt) (attempts int, elapsed time.Duration, err error) {
	if p.timeout <= 0 {
		p.timeout = defaultProbeTimeout
	}
	if p.interval <= 0 {
		p.interval = defaultProbeInterval
	}
	say := p.progress
	if say == nil {
		say = func(string) {}
	}
	start := time.Now()
	pctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	deadline, _ := pctx.Deadline()
	beat := heartbeat.New(say, p.timeout, p.every)
	last := ""
	for {
		attempts++
		a := try(pctx)
		if a.ready {
			elapsed = time.Since(start)
			say(fmt.Sprintf("%s: %s: ready after %d attempt(s) in %s", p.label, a.state, attempts, elapsed.Round(time.Millisecond)))
			return attempts, elapsed, nil
		}
		// An attempt cut short because the probe itself ended says nothing
		// about the app: the error keeps the last real answer. (An attempt
		// bounded by the probe's deadline may fail a moment before the
		// context says it is done: the clock decides.)
		if cut := !a.heard && (pctx.Err() != nil || !time.Now().Before(deadline)); !cut {
			beat.Update(p.label + ": " + a.state)
			last = a.state
		}
		if sleep.For(pctx, p.interval) != nil {
			elapsed = time.Since(start)
			if last == "" {
				last = "none before the probe ended"
			}
			if err := ctx.Err(); err != nil {
				return attempts, elapsed, fmt.Errorf("probing %s: %w (last answer: %s)", p.what, err, last)
			}
			return attempts, elapsed, fmt.Errorf("probing %s: %w after %s and %d attempts%s: last answer: %s",
				p.what, ErrNotReady, p.timeout, attempts, p.accepting, last)
		}
	}
}
