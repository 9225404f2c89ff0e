// Package excerpt cuts command output and error text down to the lines a
// message can carry: the first line of an error for a one-line annotation,
// the last lines of a hook's output for the error that names it.
//
// Blank space around the text is dropped first (output often ends in a
// line break, and an empty last line says nothing), and Windows line ends
// count as line ends.
package excerpt

import "strings"

// FirstLine is the first line of s.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}

// LastLine is the last line of s.
func LastLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.TrimSpace(s[strings.LastIndexByte(s, '\n')+1:])
}

// FirstLines is the first n lines of s ("" for n < 1).
func FirstLines(s string, n int) string {
	s = strings.TrimSpace(s)
	if n < 1 {
		return ""
	}
	end := 0
	for range n {
		i := strings.IndexByte(s[end:], '\n')
		if i < 0 {
			return unixLines(s)
		}
		end += i + 1
	}
	return unixLines(s[:end-1])
}

// LastLines is the last n lines of s ("" for n < 1).
func LastLines(s string, n int) string {
	s = strings.TrimSpace(s)
	if n < 1 {
		return ""
	}
	start := len(s)
	for range n {
		i := strings.LastIndexByte(s[:start], '\n')
		if i < 0 {
			return unixLines(s)
		}
		start = i
	}
	return unixLines(s[start+1:])
}

func unixLines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
