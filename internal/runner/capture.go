package runner

import "bytes"

// tailBuffer keeps the most recent output written to it: once more than
// max bytes were written it holds more than max (so tail marks the cut)
// and at most twice that. A stage that prints gigabytes costs the runner
// no more memory than its report keeps.
type tailBuffer struct {
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if keep := t.max + 1; len(p) > keep {
		p = p[len(p)-keep:]
		t.buf.Reset()
	}
	t.buf.Write(p)
	if t.buf.Len() > 2*t.max+1 {
		t.buf.Next(t.buf.Len() - t.max - 1)
	}
	return n, nil
}

func (t *tailBuffer) String() string { return t.buf.String() }
