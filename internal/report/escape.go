package report

import (
	"regexp"
	"strings"
)

// Strings the recipe or the app controls (its TYPE, versions, errors,
// output, residue names) go into Markdown that a forge renders for
// everyone on the pull request. There they must stay text: no HTML, no
// links or images, no emphasis, no table or block syntax, no @-mention
// that notifies someone, no issue reference that links another thread, and
// no hidden marker: the sticky comment (and the enrollment pull request) is
// found by the marker it carries, so a marker inside untrusted text could
// make another recipe's run overwrite this comment. Text, Code and fence
// apply this; every untrusted string goes through one of them.

// zwsp (U+200B ZERO WIDTH SPACE) is put between characters that must not
// meet: it shows as nothing.
const zwsp = "\u200b"

// noMarker breaks a hidden marker's "<!--" wherever untrusted text goes,
// code included: a code block shows it as text, but the marker search
// reads the raw body.
func noMarker(s string) string { return strings.ReplaceAll(s, "<!--", "<"+zwsp+"!--") }

// linkRes match what a forge turns into a link or a notification in text
// (not in code): a mention (@user, @org/team) or an e-mail address (the
// character after "@"), an issue reference (#12, owner/repo#12), a bare
// URL or www. address (GitHub's autolinks).
var linkRes = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`([@#])([A-Za-z0-9])`), "$1" + zwsp + "$2"},
	{regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*):(//)`), "$1:" + zwsp + "$2"},
	{regexp.MustCompile(`(?i)\b(www)\.`), "$1" + zwsp + "."},
}

// inert breaks a marker, and every link and notification a forge would
// make of text (see linkRes).
func inert(s string) string {
	s = noMarker(s)
	for _, l := range linkRes {
		s = l.re.ReplaceAllString(s, l.with)
	}
	return s
}

// markdownEscaper backslash-escapes the inline syntax that makes links,
// images, emphasis, code and tables; HTML is escaped as entities.
var markdownEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "~", `\~`, "|", `\|`,
)

// blockStartRe matches a start that would open a block where Text lands
// at a line's start (a list item's text): a heading, a list item, a
// setext underline or a thematic break. Quotes and fences cannot start:
// ">" and backticks are escaped anyway.
var blockStartRe = regexp.MustCompile(`^(?:#{1,6}(?:\s|$)|[-+](?:\s|$)|\d{1,9}[.)](?:\s|$)|[-=]+\s*$)`)

// Text makes s inert inline Markdown on one line: HTML escaped, Markdown
// syntax backslash-escaped (it renders as the characters themselves),
// mentions, issue references and markers broken (see inert).
func Text(s string) string {
	s = markdownEscaper.Replace(inert(oneLine(s, len(s)+1)))
	if blockStartRe.MatchString(s) {
		i := strings.IndexAny(s, "#-+=.)") // the character that opens the block
		s = s[:i] + `\` + s[i:]
	}
	return s
}

// Code makes s an inline code span on one line: inside one nothing is
// rendered or linked, but a backtick would end it (it becomes '), and a
// marker still needs breaking for the raw body.
func Code(s string) string {
	return "`" + noMarker(strings.ReplaceAll(oneLine(s, len(s)+1), "`", "'")) + "`"
}
