package ingress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// StreamProbeOptions says what a ready TCP or UDP stream answers.
type StreamProbeOptions struct {
	// Send is written once connected (TCP) or sent as one datagram (UDP).
	// A UDP probe needs it: UDP has no connection to prove anything.
	Send string
	// Expect must appear in what comes back; "" accepts a TCP connection
	// (and the write of Send) as ready.
	Expect string
	// Timeout bounds the whole probe; default 2 minutes.
	Timeout time.Duration
	// Interval is the pause between attempts; default 500ms.
	Interval time.Duration
	// Progress, when set, receives a line each time the answer changes,
	// and again now and then while it does not (see poll).
	Progress func(string)
}

// StreamProbeResult is the accepted answer.
type StreamProbeResult struct {
	Answer   string // what came back, quoted and cut, "" when nothing was expected
	Attempts int
	Elapsed  time.Duration
}

// streamReadLimit bounds what one attempt reads while looking for Expect.
const streamReadLimit = 64 << 10

// ProbeStream dials the stream's task until it accepts (TCP) or answers
// what is expected, retrying on every failure. Its error names the stream
// and the last answer.
func ProbeStream(ctx context.Context, s *Stream, opts StreamProbeOptions) (StreamProbeResult, error) {
	var res StreamProbeResult
	if s.Protocol == recipe.UDP && opts.Send == "" {
		return res, fmt.Errorf("probing %s: a UDP probe needs something to send", s.Name())
	}
	p := poll{what: s.Name(), label: s.Name(), accepting: expecting(opts),
		timeout: opts.Timeout, interval: opts.Interval, progress: opts.Progress}
	var err error
	res.Attempts, res.Elapsed, err = p.run(ctx, func(ctx context.Context) attempt {
		answer, state, ok, heard := probeStreamOnce(ctx, s, opts)
		if ok {
			res.Answer = answer
		}
		return attempt{ready: ok, state: state, heard: heard}
	})
	return res, err
}

func expecting(opts StreamProbeOptions) string {
	if opts.Expect == "" {
		return ""
	}
	return " (expecting " + strconv.Quote(opts.Expect) + ")"
}

// probeStreamOnce tries once; state describes the outcome for humans, and
// heard says the app took part: a TCP connection was accepted, or bytes
// came back.
func probeStreamOnce(ctx context.Context, s *Stream, opts StreamProbeOptions) (answer, state string, ok, heard bool) {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	conn, err := s.Dial(ctx)
	if err != nil {
		return "", "no connection: " + err.Error(), false, false
	}
	defer conn.Close()
	heard = s.Protocol != recipe.UDP
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	if opts.Send != "" {
		if _, err := conn.Write([]byte(opts.Send)); err != nil {
			return "", "sending failed: " + err.Error(), false, heard
		}
	}
	if opts.Expect == "" {
		if opts.Send != "" {
			return "", "connected and sent " + quoteCut(opts.Send), true, heard
		}
		return "", "connected", true, heard
	}
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < streamReadLimit {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		heard = heard || len(got) > 0
		if bytes.Contains(got, []byte(opts.Expect)) {
			return quoteCut(string(got)), "answered " + quoteCut(string(got)), true, heard
		}
		if err != nil {
			what := "no answer"
			if len(got) > 0 {
				what = "answered " + quoteCut(string(got)) + ", then"
			}
			if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				return "", what + " (timed out)", false, heard
			}
			return "", what + ": " + err.Error(), false, heard
		}
	}
	return "", "answered " + quoteCut(string(got)) + " without " + strconv.Quote(opts.Expect), false, heard
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// quoteCut quotes what an app said, cut to a readable length.
func quoteCut(s string) string {
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return strconv.Quote(s)
}
