package workflowcmd

import (
	"bytes"
	"strings"
	"testing"
)

// The model knows the command shapes the runners obey: without it, a
// test that finds no command in Writer's output would prove nothing.
func TestCommandsModel(t *testing.T) {
	for _, tc := range []struct {
		in    string
		names []string
	}{
		{"::add-mask::x", []string{"add-mask", "add-mask"}}, // GitHub's runner and act
		{"   ::error title=t::msg", []string{"error"}},      // leading space: GitHub's runner only
		{"[install] x\r::add-mask::y", []string{"add-mask"}},
		{"[install] x ##[add-mask]y", []string{"add-mask"}},
		{"##[warning]w", []string{"warning", "warning"}},
		{"::nonsense::x", []string{"nonsense"}}, // act knows any name
		{"[install] ::add-mask::x", nil},
		{"::add-mask x", nil},
		{"##[add-mask x", nil},
	} {
		var names []string
		for _, c := range Commands(tc.in) {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != strings.Join(tc.names, ",") {
			t.Errorf("Commands(%q) = %v, want %v", tc.in, names, tc.names)
		}
	}
}

// Text built to issue commands, printed through Writer, issues none, and
// still reads the same once the invisible breakers are dropped.
func TestWriterIssuesNoCommand(t *testing.T) {
	attacks := []string{
		"example\n::add-mask::fail\n::error::forged",
		"TYPE=x\r::add-mask::x",
		"x\r\n::set-output name=status::pass",
		"  \t::warning::w",
		"::::add-mask::x",
		"trailing ##[add-mask]secret",
		"###[error]e",
		"::stop-commands::tok\n::tok::",
		"\u2003::add-mask::em-space",
	}
	for _, in := range attacks {
		got := Neutralize(in)
		if cs := Commands(got); len(cs) > 0 {
			t.Errorf("%q printed as %q still issues %+v", in, got, cs)
		}
		if cs := Commands("[install] " + got); len(cs) > 0 {
			t.Errorf("%q behind a prefix still issues %+v", in, cs)
		}
		want := strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\r", "\n")
		if shown := strings.ReplaceAll(got, breaker, ""); shown != want {
			t.Errorf("%q shows as %q, want %q", in, shown, want)
		}
	}
}

// A command split across writes is broken all the same, and a "\r\n"
// split across writes is still one line end.
func TestWriterAcrossWrites(t *testing.T) {
	in := "ok\r\n::add-mask::x\n##[error]e\n"
	for cut := range len(in) + 1 {
		var out bytes.Buffer
		w := Writer(&out)
		w.Write([]byte(in[:cut]))
		w.Write([]byte(in[cut:]))
		if out.String() != Neutralize(in) {
			t.Errorf("cut at %d: %q, want %q", cut, out.String(), Neutralize(in))
		}
	}
}

func FuzzWriter(f *testing.F) {
	f.Add("::add-mask::x\r##[error]e", 3)
	f.Add("a:\r\n:b", 2)
	f.Fuzz(func(t *testing.T, in string, cut int) {
		var out bytes.Buffer
		w := Writer(&out)
		if cut < 0 || cut > len(in) {
			cut = len(in)
		}
		w.Write([]byte(in[:cut]))
		w.Write([]byte(in[cut:]))
		if cs := Commands(out.String()); len(cs) > 0 {
			t.Fatalf("%q printed as %q issues %+v", in, out.String(), cs)
		}
	})
}

// An annotation whose message quotes commands stays one annotation with
// that message, for GitHub's runner and for act alike.
func TestCommandWriterKeepsOwnCommands(t *testing.T) {
	var b strings.Builder
	w := CommandWriter(&b)
	w.Write([]byte("::error title=x::stage failed: a::b %0A::add-mask::y ##[warning]w\n"))
	w.Write([]byte("::group::install\n"))
	w.Write([]byte("::add-mask::pass::word\n"))
	cs := Commands(b.String())
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
		if c.Name == "error" && strings.ReplaceAll(c.Data, breaker, "") != "stage failed: a::b %0A::add-mask::y ##[warning]w" {
			t.Errorf("error data %q", c.Data)
		}
	}
	if !strings.HasSuffix(b.String(), "::add-mask::pass::word\n") {
		t.Errorf("a mask's value was changed: %q", b.String())
	}
	if strings.Join(names, ",") != "error,group,add-mask,error,group,add-mask::pass" { // GitHub's runner, then act
		t.Errorf("commands %v in %q", names, b.String())
	}
}
