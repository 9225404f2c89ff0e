package excerpt

import "testing"

func TestExcerpt(t *testing.T) {
	hook := "\n  starting\r\nstep 1\nstep 2\nerror: disk full\r\n\n"
	for _, tc := range []struct {
		name, got, want string
	}{
		{"first line", FirstLine(hook), "starting"},
		{"first line of one line", FirstLine("boom"), "boom"},
		{"first line of nothing", FirstLine(" \n "), ""},
		{"last line", LastLine(hook), "error: disk full"},
		{"last line of one line", LastLine("  boom \n"), "boom"},
		{"last line of nothing", LastLine(""), ""},
		{"first 2 lines", FirstLines(hook, 2), "starting\nstep 1"},
		{"first lines, fewer there", FirstLines(hook, 9), "starting\nstep 1\nstep 2\nerror: disk full"},
		{"first lines, exactly there", FirstLines("a\nb", 2), "a\nb"},
		{"first 0 lines", FirstLines(hook, 0), ""},
		{"last 2 lines", LastLines(hook, 2), "step 2\nerror: disk full"},
		{"last lines, fewer there", LastLines(hook, 9), "starting\nstep 1\nstep 2\nerror: disk full"},
		{"last lines, exactly there", LastLines("a\nb", 2), "a\nb"},
		{"last 0 lines", LastLines(hook, 0), ""},
		{"last lines of nothing", LastLines("\n\n", 5), ""},
		{"blank lines inside are kept", LastLines("a\n\nb", 2), "\nb"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
