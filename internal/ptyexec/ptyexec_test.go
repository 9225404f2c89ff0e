package ptyexec

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The programs here are real interactive programs (bash's read, prompts
// that need a terminal), run through a real pseudo-terminal.

func bash(t *testing.T, script string) Cmd {
	t.Helper()
	return Cmd{Path: "/bin/bash", Args: []string{"-c", script}, Timeout: 20 * time.Second}
}

func TestAnswersAPrompt(t *testing.T) {
	c := bash(t, `read -r -p "What is your name? " name; echo "hello, $name"`)
	c.Answers = []Answer{{regexp.MustCompile(`your name\? $`), "ada"}}
	res, err := Run(context.Background(), c)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Transcript)
	}
	if !strings.Contains(res.Transcript, "hello, ada") || res.Answered != 1 || res.ExitCode != 0 {
		t.Fatalf("answered %d exit %d transcript %q", res.Answered, res.ExitCode, res.Transcript)
	}
}

func TestAnswersTwoPromptsInOrderTheyCome(t *testing.T) {
	// A terminal check first, as abra does: a program that prompts only at
	// a terminal must see one.
	c := bash(t, `[ -t 0 ] && [ -t 1 ] || { echo "not a terminal"; exit 9; }
read -r -p "Server? " server
read -r -p "Continue? [y/N] " yes
[ "$yes" = y ] || { echo "aborted"; exit 1; }
echo "deploying to $server"`)
	// Listed in the other order: answers match what is asked, not a script.
	c.Answers = []Answer{
		{regexp.MustCompile(`Continue\? \[y/N\] $`), "y"},
		{regexp.MustCompile(`Server\? $`), "swarm-1"},
	}
	res, err := Run(context.Background(), c)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Transcript)
	}
	if !strings.Contains(res.Transcript, "deploying to swarm-1") || res.Answered != 2 {
		t.Fatalf("answered %d transcript %q", res.Answered, res.Transcript)
	}
}

func TestNonZeroExitNamesCommandAndLastLines(t *testing.T) {
	res, err := Run(context.Background(), bash(t, `for i in 1 2 3 4 5; do echo "line $i"; done; echo "FATA deploy failed" >&2; exit 3`))
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v (%T), want *ExitError", err, err)
	}
	if ee.Code != 3 || res.ExitCode != 3 || !strings.Contains(ee.Tail, "FATA deploy failed") || !strings.Contains(err.Error(), "/bin/bash -c") {
		t.Fatalf("code %d tail %q err %v", ee.Code, ee.Tail, err)
	}
}

func TestLotsOfOutputIsReadToTheEnd(t *testing.T) {
	// Far more than a pty's buffer (under the 1 MiB transcript): the writer
	// blocks unless we keep reading.
	res, err := Run(context.Background(), Cmd{Path: "seq", Args: []string{"1", "150000"}, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(res.Transcript), "\n")
	if len(lines) != 150000 || lines[len(lines)-1] != "150000" {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestTranscriptIsBoundedToItsTail(t *testing.T) {
	res, err := Run(context.Background(), Cmd{Path: "seq", Args: []string{"1", "100000"}, MaxTranscript: 1000, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Transcript) > 1000 || !strings.HasSuffix(res.Transcript, "100000\n") {
		t.Fatalf("len %d tail %q", len(res.Transcript), res.Tail(2))
	}
}

// alive reports whether pid is a live process (a zombie counts as dead).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func TestTimeoutKillsTheWholeProcessGroup(t *testing.T) {
	c := bash(t, `sleep 300 & echo "child $!"; sleep 301`)
	c.Timeout = 2 * time.Second
	start := time.Now()
	res, err := Run(context.Background(), c)
	var ke *KilledError
	if !errors.As(err, &ke) || !strings.Contains(ke.Why, "timed out after 2s") {
		t.Fatalf("err = %v, want a kill for the timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %s", d)
	}
	m := regexp.MustCompile(`child (\d+)`).FindStringSubmatch(res.Transcript)
	if m == nil {
		t.Fatalf("no child pid in %q", res.Transcript)
	}
	pid, _ := strconv.Atoi(m[1])
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the background child %d outlived its group's kill", pid)
	}
}

func TestCancelledContextKills(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	_, err := Run(ctx, bash(t, `sleep 300`))
	var ke *KilledError
	if !errors.As(err, &ke) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a kill wrapping context.Canceled", err)
	}
}

func TestUnansweredPromptIsKilledWhenSilent(t *testing.T) {
	c := bash(t, `read -r -p "Type the secret phrase: " x; echo "got $x"`)
	c.Idle = time.Second
	c.Answers = []Answer{{regexp.MustCompile(`Continue\?`), "y"}}
	res, err := Run(context.Background(), c)
	var ke *KilledError
	if !errors.As(err, &ke) || !strings.Contains(ke.Why, "silent for 1s") || !strings.Contains(ke.Tail, "Type the secret phrase:") {
		t.Fatalf("err = %v transcript %q", err, res.Transcript)
	}
}

func TestChildHoldingTheTerminalAfterExitIsKilled(t *testing.T) {
	// The command exits but leaves a child (ignoring SIGHUP) holding the
	// terminal: no EIO comes; the output still ends, and the child dies.
	c := bash(t, `trap "" HUP; (trap "" HUP; sleep 300) & echo "child $!"; echo done`)
	start := time.Now()
	res, err := Run(context.Background(), c)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Transcript)
	}
	if d := time.Since(start); d > drainWait+5*time.Second {
		t.Fatalf("took %s", d)
	}
	m := regexp.MustCompile(`child (\d+)`).FindStringSubmatch(res.Transcript)
	if m == nil || !strings.Contains(res.Transcript, "done") {
		t.Fatalf("transcript %q", res.Transcript)
	}
	pid, _ := strconv.Atoi(m[1])
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("child %d survived", pid)
	}
}

func TestEscapeSequencesStripped(t *testing.T) {
	res, err := Run(context.Background(), bash(t, `printf '\033[1;32mgreen\033[0m \033]0;title\007plain\r\n'`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Transcript != "green plain\n" {
		t.Fatalf("transcript %q", res.Transcript)
	}
}

func TestStripAcrossWrites(t *testing.T) {
	var s stripper
	got := s.write([]byte("a\x1b[3")) + s.write([]byte("1mb\x1b")) + s.write([]byte("]0;t\x1b")) + s.write([]byte("\\c\x1b(B"))
	if got != "abc" {
		t.Fatalf("got %q", got)
	}
}

func TestMissingProgram(t *testing.T) {
	_, err := Run(context.Background(), Cmd{Path: "/nonexistent/abra"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/abra") {
		t.Fatalf("err = %v", err)
	}
}
