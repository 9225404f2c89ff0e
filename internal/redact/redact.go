// Package redact masks secret values in anything we print or store: logs,
// captured output, reports. Every generated secret and token is added to
// one Redactor before anything could print it; credentials in URLs are
// stripped whether registered or not.
package redact

import (
	"io"
	"sort"
	"strings"
	"sync"
)

// Mask replaces a secret value.
const Mask = "***"

// minLen is the shortest value worth masking: shorter ones would mangle
// ordinary text and are not secrets of ours.
const minLen = 4

// Redactor holds the values to mask. It is safe for concurrent use.
type Redactor struct {
	mu     sync.RWMutex
	values []string // longest first, so a value containing another goes first
}

// Add registers secret values.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) >= minLen {
			r.values = append(r.values, v)
		}
	}
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
}

// String returns s with every registered value masked, and the
// credentials of every URL in it stripped (URLCredentials), registered or
// not.
func (r *Redactor) String(s string) string {
	if r == nil {
		return URLCredentials(s)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, Mask)
	}
	return URLCredentials(s)
}

// Writer masks what is written to w. It masks within each Write: callers
// write whole lines (loggers do), so a value is never split across writes.
func (r *Redactor) Writer(w io.Writer) io.Writer { return &writer{r: r, w: w} }

type writer struct {
	r *Redactor
	w io.Writer
}

func (w *writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
