package runner

import (
	"strings"
	"testing"
)

// Every line a stage prints carries the stage's prefix, also the lines a
// "\r" starts (app output, a recipe string): none passes for a line of its
// own in a terminal or an Actions log.
func TestPrefixWriterEveryLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\nb\n", "[s] a\n[s] b\n"},
		{"TYPE x\r::add-mask::x\n", "[s] TYPE x\n[s] ::add-mask::x\n"},
		{"crlf\r\nnext\r\n", "[s] crlf\n[s] next\n"},
		{"\r\r::error::e", "[s] \n[s] \n[s] ::error::e"},
	} {
		var b strings.Builder
		prefixWriter(&b, "[s] ").Write([]byte(tc.in))
		if b.String() != tc.want {
			t.Errorf("%q printed as %q, want %q", tc.in, b.String(), tc.want)
		}
	}
}
