// Package workflowcmd prints untrusted text (recipe strings, the app's
// output, captured stage logs) into a GitHub, Gitea or Forgejo Actions log
// so that the runner cannot take any of it as a workflow command.
//
// The runners read a step's stdout and stderr line by line, a line ending
// at "\n", "\r\n" or a lone "\r" (.NET's ReadLine), and take as a command:
//
//   - a line that, after leading white space, starts with "::" and holds a
//     second "::" (`::add-mask::x`, `::error title=t::msg`);
//   - a line holding "##[" anywhere, then a known command name and "]"
//     (the older syntax, `##[add-mask]x`; GitHub's runner still reads it);
//   - act (Gitea's and Forgejo's runners): a line starting with "::" or
//     "##[" in the same shapes.
//
// Writer makes both shapes impossible in what it prints, with no state
// shared with the commands recipe-test issues itself: every line break is
// normalised to "\n" (so a "\r" cannot start a line of its own behind a
// prefix), a zero-width space goes between any two adjacent colons and
// between "##" and "[". The text reads the same in the log; no line of it
// contains "::" or "##[", which every command shape needs. Escaping per line
// was chosen over ::stop-commands::: it needs no token that a live log could
// reveal, and it holds for stdout and stderr alike whatever order the
// runner reads them in.
package workflowcmd

import (
	"io"
	"strings"
	"sync"
)

// breaker is what Writer puts between two characters that would otherwise
// form a command's "::" or "##[": U+200B ZERO WIDTH SPACE, which is not
// white space to the runner's TrimStart and shows as nothing.
const breaker = "\u200b"

// Writer neutralises everything written through it (see the package
// comment) and writes it to w. It keeps the current line's last two bytes
// across writes, so a command split over two writes is broken too. It is
// safe for concurrent use; each Write goes out in one piece.
func Writer(w io.Writer) io.Writer { return &writer{w: w} }

type writer struct {
	mu   sync.Mutex
	w    io.Writer
	last [2]byte // the current line's last two bytes, newest last
	cr   bool    // the previous byte was a "\r", already written as "\n"
}

func (x *writer) Write(p []byte) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var b strings.Builder
	b.Grow(len(p) + 8)
	for _, c := range p {
		switch {
		case c == '\n' && x.cr: // the "\n" of a "\r\n": already ended the line
			x.cr = false
			continue
		case c == '\r':
			b.WriteByte('\n')
			x.cr, x.last = true, [2]byte{}
			continue
		case c == '\n':
			b.WriteByte('\n')
			x.cr, x.last = false, [2]byte{}
			continue
		case c == ':' && x.last[1] == ':', c == '[' && x.last == [2]byte{'#', '#'}:
			b.WriteString(breaker)
			x.last = [2]byte{}
		}
		x.cr = false
		b.WriteByte(c)
		x.last = [2]byte{x.last[1], c}
	}
	if _, err := io.WriteString(x.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Neutralize returns s as Writer would print it (from a line start).
func Neutralize(s string) string {
	var b strings.Builder
	Writer(&b).Write([]byte(s))
	return b.String()
}

// CommandWriter is for the commands recipe-test issues itself (the Actions
// toolkit's output): each `::name props::data` line keeps its head, and its
// data is neutralised. The toolkit escapes line breaks in the data but not
// "::", and act reads the first "::" after a space-free run as the end of
// the name ("::error::a::b" is a command "error::a" to act), so an
// annotation quoting "::" would be lost there.
func CommandWriter(w io.Writer) io.Writer { return &commandWriter{w: w} }

type commandWriter struct{ w io.Writer }

func (c *commandWriter) Write(p []byte) (int, error) {
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if rest, ok := strings.CutPrefix(line, "::"); ok {
			// A mask's value is a secret of ours, kept exact: a broken one
			// would mask something else.
			if i := strings.Index(rest, "::"); i >= 0 && rest[:i] != "add-mask" {
				line = "::" + rest[:i+2] + Neutralize(rest[i+2:])
			}
		}
		b.WriteString(line)
	}
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
