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

// maxTestOutput bounds what the recipe's tests may print: their results
// are read from it, so it is kept whole up to this size, and a larger
// output fails the stage.
const maxTestOutput = 64 << 20

// cappedBuffer keeps the first max bytes written to it and counts the
// rest.
type cappedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.max - c.buf.Len(); len(p) > room {
		c.dropped += len(p) - max(room, 0)
		p = p[:max(room, 0)]
	}
	c.buf.Write(p)
	return n, nil
}

func (c *cappedBuffer) String() string { return c.buf.String() }
