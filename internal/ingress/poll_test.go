package ingress

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// sayings keeps the progress lines a poll says.
type sayings struct {
	mu    sync.Mutex
	lines []string
}

func (r *sayings) say(s string) { r.mu.Lock(); r.lines = append(r.lines, s); r.mu.Unlock() }
func (r *sayings) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// The loop both probes share: ready after some attempts, each changed
// answer said once, the ready line last.
func TestPollReady(t *testing.T) {
	var rec sayings
	answers := []attempt{{state: "no answer: connection refused"}, {state: "no answer: connection refused"},
		{state: "502 Bad Gateway", heard: true}, {ready: true, state: "200 OK", heard: true}}
	n := 0
	p := poll{what: "https://app.test/", label: "GET https://app.test/", interval: time.Millisecond, progress: rec.say}
	attempts, elapsed, err := p.run(context.Background(), func(context.Context) attempt { n++; return answers[n-1] })
	if err != nil || attempts != 4 || elapsed <= 0 {
		t.Fatalf("run = %d attempts in %s, %v", attempts, elapsed, err)
	}
	said := rec.all()
	if len(said) != 3 || said[0] != "GET https://app.test/: no answer: connection refused" || said[1] != "GET https://app.test/: 502 Bad Gateway" ||
		!strings.HasPrefix(said[2], "GET https://app.test/: 200 OK: ready after 4 attempt(s) in ") {
		t.Errorf("said %q", said)
	}
}

// An answer that does not change is said again now and then (the
// heartbeat), with the time spent and left; the timeout's error names
// what was probed, what was accepted and the last answer.
func TestPollHeartbeatAndTimeout(t *testing.T) {
	var rec sayings
	p := poll{what: "tcp ssh", label: "tcp ssh", accepting: ` (expecting "SSH-")`,
		timeout: 300 * time.Millisecond, interval: 10 * time.Millisecond, every: 50 * time.Millisecond, progress: rec.say}
	attempts, _, err := p.run(context.Background(), func(context.Context) attempt {
		return attempt{state: "no connection: connection refused"}
	})
	if !errors.Is(err, ErrNotReady) || attempts < 2 {
		t.Fatalf("err = %v after %d attempts, want ErrNotReady", err, attempts)
	}
	for _, want := range []string{"probing tcp ssh: app not ready after 300ms and ", ` attempts (expecting "SSH-"): last answer: no connection: connection refused`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	said := rec.all()
	again := 0
	for _, l := range said[1:] {
		if strings.HasPrefix(l, "tcp ssh: no connection: connection refused (still waiting: ") && strings.Contains(l, "left)") {
			again++
		}
	}
	if said[0] != "tcp ssh: no connection: connection refused" || again < 2 || again > len(said)-1 || len(said) >= attempts {
		t.Errorf("%d attempts said %q: want the answer once, then again every 50ms", attempts, said)
	}
}

// An attempt the probe's own end cut short, before the app said anything,
// says nothing about the app: the error keeps the last real answer.
func TestPollCutAttemptKeepsLastAnswer(t *testing.T) {
	var rec sayings
	n := 0
	p := poll{what: "https://app.test/", label: "GET https://app.test/", timeout: 100 * time.Millisecond, interval: time.Millisecond, progress: rec.say}
	_, _, err := p.run(context.Background(), func(ctx context.Context) attempt {
		if n++; n == 1 {
			return attempt{state: "502 Bad Gateway", heard: true}
		}
		<-ctx.Done() // a hung answer, until the probe ends
		return attempt{state: "no answer: " + ctx.Err().Error()}
	})
	if !errors.Is(err, ErrNotReady) || !strings.HasSuffix(err.Error(), "last answer: 502 Bad Gateway") {
		t.Errorf("err = %v, want the last real answer", err)
	}
	for _, l := range rec.all() {
		if strings.Contains(l, "no answer") {
			t.Errorf("said the cut attempt: %q", l)
		}
	}
}

// A cancelled wait says so, not "not ready", with the last answer; with
// none yet, it says there was none.
func TestPollCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	p := poll{what: "udp echo", label: "udp echo", interval: time.Millisecond}
	_, _, err := p.run(ctx, func(context.Context) attempt {
		if n++; n == 3 {
			cancel()
		}
		return attempt{state: "no answer (timed out)"}
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrNotReady) || err.Error() != "probing udp echo: context canceled (last answer: no answer (timed out))" {
		t.Errorf("err = %v", err)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	_, _, err = p.run(done, func(ctx context.Context) attempt { return attempt{state: "no answer: " + ctx.Err().Error()} })
	if err == nil || !strings.HasSuffix(err.Error(), "(last answer: none before the probe ended)") {
		t.Errorf("cancelled before any answer: %v", err)
	}
}
