package workflowcmd

import (
	"regexp"
	"strings"
	"unicode"
)

// A Command is one line of a log that a runner takes as a workflow command.
type Command struct {
	Name  string // as written; runners compare names case-insensitively
	Props string // its properties ("title=t,file=f"), still escaped
	Data  string // the message, still escaped (%0A and so on)
	Line  string
}

// commandNames are the commands GitHub's runner knows (its registry:
// a name outside it is not a command to the runner).
var commandNames = map[string]bool{
	"stop-commands": true, "add-mask": true, "add-matcher": true, "remove-matcher": true, "add-path": true,
	"set-env": true, "set-output": true, "save-state": true, "debug": true, "notice": true, "warning": true,
	"error": true, "group": true, "endgroup": true, "echo": true,
}

// actRes are act's command shapes (pkg/runner/command.go), matched against
// each "\n"-ended line; act knows any name.
var actRes = []*regexp.Regexp{
	regexp.MustCompile(`^::([^ ]+)( (.+))?::([^\r\n]*)`),
	regexp.MustCompile(`^##\[([^ ]+)( (.+))?]([^\r\n]*)`),
}

// Commands lists the lines of a step's output that a runner would take as
// workflow commands, by the rules the package comment gives: GitHub's
// runner's two syntaxes over its line splitting, and act's. It is the model
// Writer is tested against. Stop-commands regions are not modelled: every
// command-shaped line is listed, a superset of what a runner obeys.
func Commands(output string) []Command {
	var out []Command
	for _, line := range runnerLines(output) {
		if c, ok := parseV2(line); ok {
			out = append(out, c)
		} else if c, ok := parseV1(line); ok {
			out = append(out, c)
		}
	}
	for _, line := range strings.Split(output, "\n") {
		for _, re := range actRes {
			if m := re.FindStringSubmatch(line); m != nil {
				out = append(out, Command{Name: m[1], Props: m[3], Data: m[4], Line: line})
			}
		}
	}
	return out
}

// runnerLines splits as .NET's TextReader.ReadLine does: at "\r\n", "\r"
// or "\n".
func runnerLines(s string) []string {
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\n")
}

// parseV2 reads `::name props::data` after leading white space.
func parseV2(line string) (Command, bool) {
	msg := strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(msg, "::") {
		return Command{}, false
	}
	end := strings.Index(msg[2:], "::")
	if end < 0 {
		return Command{}, false
	}
	info := msg[2 : 2+end]
	name, props, _ := strings.Cut(info, " ")
	if !commandNames[strings.ToLower(name)] {
		return Command{}, false
	}
	return Command{Name: name, Props: props, Data: msg[2+end+2:], Line: line}, true
}

// parseV1 reads `##[name props]data` anywhere in the line.
func parseV1(line string) (Command, bool) {
	i := strings.Index(line, "##[")
	if i < 0 {
		return Command{}, false
	}
	rb := strings.IndexByte(line[i:], ']')
	if rb < 0 {
		return Command{}, false
	}
	info := line[i+3 : i+rb]
	name, props, _ := strings.Cut(info, " ")
	if !commandNames[strings.ToLower(name)] {
		return Command{}, false
	}
	return Command{Name: name, Props: props, Data: line[i+rb+1:], Line: line}, true
}
