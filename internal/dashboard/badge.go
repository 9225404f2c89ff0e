package dashboard

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// badgeLabel is the left half of every badge.
const badgeLabel = "recipe-test"

// levelColours are the badge colours by level, shields.io's named colours
// from red (L0) to bright green (L5).
var levelColours = [results.MaxLevel + 1]string{"#e05d44", "#fe7d37", "#dfb317", "#a4a61d", "#97ca00", "#4c1"}

// failColour marks a last run that failed, whatever its level.
const failColour = "#e05d44"

// BadgeMessage is the right half of a recipe's badge, from its last run,
// and its colour: "L4" coloured by level, or "L4 failing" in red when a
// stage of the run failed (lint failing after L4, say) or it could not
// start.
func BadgeMessage(run *results.Run) (message, colour string) {
	message = fmt.Sprintf("L%d", run.Level)
	if run.Status == results.Fail {
		return message + " failing", failColour
	}
	return message, levelColours[min(max(run.Level, 0), results.MaxLevel)]
}

// Badge is a recipe's level badge in shields.io's flat style: "recipe-test
// | L4". Its title names the recipe (escaped: the name is the recipe's).
func Badge(recipe string, run *results.Run) []byte {
	message, colour := BadgeMessage(run)
	lw, mw := textWidth(badgeLabel)+10, textWidth(message)+10
	w := lw + mw
	title := html.EscapeString(oneLine(recipe, 100) + ": " + badgeLabel + " " + message)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s">`, w, title)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	b.WriteString(`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	fmt.Fprintf(&b, `<clipPath id="r"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>`, w)
	fmt.Fprintf(&b, `<g clip-path="url(#r)"><rect width="%d" height="20" fill="#555"/><rect x="%d" width="%d" height="20" fill="%s"/><rect width="%d" height="20" fill="url(#s)"/></g>`, lw, lw, mw, colour, w)
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">`)
	badgeText(&b, badgeLabel, lw*5, textWidth(badgeLabel))
	badgeText(&b, message, lw*10+mw*5, textWidth(message))
	b.WriteString("</g></svg>\n")
	return []byte(b.String())
}

// badgeText writes s centred at x (in tenths of a pixel, as the text is
// scaled by .1 for sub-pixel placement), with a shadow beneath it.
func badgeText(b *strings.Builder, s string, x, width int) {
	s = html.EscapeString(s)
	fmt.Fprintf(b, `<text aria-hidden="true" x="%d" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="%d">%s</text>`, x, width*10, s)
	fmt.Fprintf(b, `<text x="%d" y="140" transform="scale(.1)" fill="#fff" textLength="%d">%s</text>`, x, width*10, s)
}

// verdanaWidths are the advance widths in pixels of Verdana at 11px, the
// badges' font, for the characters badges use; others count as wide.
var verdanaWidths = map[rune]float64{
	' ': 3.9, '-': 4.8, '.': 3.9, 'L': 6.1,
	'a': 6.7, 'b': 6.9, 'c': 5.8, 'd': 6.9, 'e': 6.7, 'f': 3.9, 'g': 6.9, 'h': 7.0, 'i': 3.0, 'j': 3.8,
	'k': 6.5, 'l': 3.0, 'm': 10.7, 'n': 7.0, 'o': 6.7, 'p': 6.9, 'q': 6.9, 'r': 4.7, 's': 5.7, 't': 4.3,
	'u': 7.0, 'v': 6.5, 'w': 9.0, 'x': 6.5, 'y': 6.5, 'z': 5.8,
}

// textWidth is the width of s in Verdana at 11px, in whole pixels.
func textWidth(s string) int {
	w := 0.0
	for _, r := range s {
		switch cw, ok := verdanaWidths[r]; {
		case ok:
			w += cw
		case r >= '0' && r <= '9':
			w += 7.0
		default:
			w += 7.5
		}
	}
	return int(math.Ceil(w))
}

// oneLine is s on one line, cut to n runes: line breaks and other
// control characters (which XML may not hold at all) become spaces, runs
// of spaces one, invalid UTF-8 the replacement character.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0xfffe || r == 0xffff {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\ufffd"))
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
