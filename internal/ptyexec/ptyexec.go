// Package ptyexec runs a command in a pseudo-terminal, as an operator runs
// an interactive CLI (abra) at a terminal: it answers the command's prompts,
// reads its output with deadlines, and kills its whole process group when
// the command outlives its time or stops talking while waiting for input.
// What the command wrote comes back as a transcript with terminal escape
// sequences stripped.
package ptyexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// Answer replies to a prompt: when the output since the last answer
// matches Prompt, Reply is typed followed by Enter.
type Answer struct {
	Prompt *regexp.Regexp
	Reply  string
}

// Cmd is one command to run in a pseudo-terminal.
type Cmd struct {
	Path string
	Args []string // without the program name
	Env  []string // nil = the process environment
	Dir  string

	// Answers are tried, in order, against the output written since the
	// last answer (escape sequences stripped).
	Answers []Answer
	// Timeout bounds the whole command; 0 = only ctx bounds it.
	Timeout time.Duration
	// Idle bounds the silence of a command that is still running: a
	// prompt no Answer matches leaves it waiting for input forever.
	// 0 = no bound.
	Idle time.Duration
	// MaxTranscript bounds the transcript kept (its tail); 0 = 1 MiB.
	MaxTranscript int
}

// Result is what a finished command did.
type Result struct {
	Transcript string // escape sequences and carriage returns stripped
	ExitCode   int
	Answered   int // prompts answered
	Duration   time.Duration
}

// Tail returns the last n non-empty lines of the transcript.
func (r Result) Tail(n int) string { return tailLines(r.Transcript, n) }

// ExitError is a command that ran and exited non-zero.
type ExitError struct {
	Command string
	Code    int
	Tail    string // the last lines of its output
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s exited with status %d; its last output:\n%s", e.Command, e.Code, indent(e.Tail))
}

// KilledError is a command that was killed, with its process group, because
// it hit a bound or its context ended.
type KilledError struct {
	Command string
	Why     string // "timed out after 5s", "silent for 10s", the context's error
	Tail    string
	Err     error // the context's error, when the context ended
}

func (e *KilledError) Error() string {
	return fmt.Sprintf("%s killed: %s; its last output:\n%s", e.Command, e.Why, indent(e.Tail))
}

func (e *KilledError) Unwrap() error { return e.Err }

// drainWait is how long output is still read after the command exited, for
// what its children (same process group) write before they are killed.
const drainWait = 2 * time.Second

// poll is the read deadline between checks of the bounds.
const poll = 100 * time.Millisecond

// Run runs c in a new session whose controlling terminal is a fresh
// pseudo-terminal, answering prompts until the output ends. The output ends
// when every holder of the terminal closed it (a read then fails with EIO,
// which is how Linux reports the end of a pseudo-terminal's output), or
// drainWait after the command exited. The command's process group is killed
// when it times out, stays silent past Idle, when ctx ends, and once it has
// exited (so that no child is left holding the terminal).
//
// A non-zero exit is an *ExitError, a kill a *KilledError; the Result is
// filled either way.
func Run(ctx context.Context, c Cmd) (Result, error) {
	start := time.Now()
	name := commandLine(c)
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.Timeout, fmt.Errorf("timed out after %s", c.Timeout))
		defer cancel()
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env, cmd.Dir = c.Env, c.Dir
	// Setsid: the command leads a new session and process group (its pgid
	// is its pid), whose controlling terminal (Setctty) is the pty.
	ptmx, err := pty.StartWithAttrs(cmd, &pty.Winsize{Rows: 50, Cols: 200}, &syscall.SysProcAttr{Setsid: true, Setctty: true})
	if err != nil {
		return Result{}, fmt.Errorf("start %s in a pseudo-terminal: %w", name, err)
	}
	term, err := nonBlocking(ptmx)
	if err != nil {
		killGroup(cmd.Process.Pid)
		cmd.Wait()
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	s := &session{cmd: cmd, term: term, answers: c.Answers, max: c.MaxTranscript}
	if s.max <= 0 {
		s.max = 1 << 20
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	why, cause := s.loop(ctx, c.Idle, waited)
	term.Close()
	res := Result{Transcript: s.transcript(), Answered: s.answered, Duration: time.Since(start)}
	if why != "" {
		res.ExitCode = -1
		return res, &KilledError{Command: name, Why: why, Tail: res.Tail(20), Err: cause}
	}
	res.ExitCode = cmd.ProcessState.ExitCode()
	if res.ExitCode != 0 {
		return res, &ExitError{Command: name, Code: res.ExitCode, Tail: res.Tail(20)}
	}
	return res, nil
}

// nonBlocking returns a duplicate of the pty's descriptor in non-blocking
// mode, and closes the original. os.NewFile registers a non-blocking
// descriptor with Go's poller, so that SetReadDeadline works on it; the
// *os.File pty.Start returns may be blocking, where deadlines do nothing
// and a read could block forever.
func nonBlocking(ptmx *os.File) (*os.File, error) {
	defer ptmx.Close()
	fd, err := syscall.Dup(int(ptmx.Fd()))
	if err != nil {
		return nil, fmt.Errorf("duplicate the pty descriptor: %w", err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("make the pty descriptor non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), ptmx.Name()), nil
}

// killGroup kills the process group led by pid: the command and every
// child it did not move to a group of its own.
func killGroup(pid int) {
	syscall.Kill(-pid, syscall.SIGKILL)
}

func commandLine(c Cmd) string {
	return strings.TrimSpace(c.Path + " " + strings.Join(c.Args, " "))
}

type session struct {
	cmd      *exec.Cmd
	term     *os.File
	answers  []Answer
	max      int
	out      []byte // the stripped transcript's tail
	pending  string // stripped output since the last answer
	answered int
	strip    stripper
}

// loop reads until the output ends, answering prompts. It returns why the
// group was killed ("" when the command ended by itself) and the context's
// cause.
func (s *session) loop(ctx context.Context, idle time.Duration, waited <-chan error) (string, error) {
	buf := make([]byte, 32<<10)
	lastOutput := time.Now()
	var exited time.Time // when the command exited; zero while it runs
	defer func() {
		killGroup(s.cmd.Process.Pid)
		if exited.IsZero() {
			<-waited
		}
	}()
	for {
		if exited.IsZero() {
			select {
			case <-waited:
				exited = time.Now()
			default:
			}
		}
		if err := ctx.Err(); err != nil && exited.IsZero() {
			cause := context.Cause(ctx)
			if errors.Is(err, context.DeadlineExceeded) && cause != nil && cause != err {
				return cause.Error(), err
			}
			return err.Error(), err
		}
		if !exited.IsZero() && time.Since(exited) > drainWait {
			return "", nil // children still hold the terminal: they are killed
		}
		if idle > 0 && exited.IsZero() && time.Since(lastOutput) > idle {
			return fmt.Sprintf("silent for %s, waiting for input no answer matched", idle), nil
		}
		s.term.SetReadDeadline(time.Now().Add(poll))
		n, err := s.term.Read(buf)
		if n > 0 {
			lastOutput = time.Now()
			s.add(buf[:n])
			if err := s.answer(); err != nil {
				return "", nil // the terminal is gone: the output ended
			}
		}
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, syscall.EIO):
			// Every holder of the terminal closed it: the end of output.
			if exited.IsZero() {
				<-waited
				exited = time.Now()
			}
			return "", nil
		default:
			if exited.IsZero() {
				killGroup(s.cmd.Process.Pid)
				<-waited
				exited = time.Now()
			}
			return "", nil
		}
	}
}

func (s *session) add(p []byte) {
	text := s.strip.write(p)
	s.out = append(s.out, text...)
	if len(s.out) > s.max {
		s.out = s.out[len(s.out)-s.max:]
	}
	s.pending += text
	if len(s.pending) > 64<<10 {
		s.pending = s.pending[len(s.pending)-(64<<10):]
	}
}

// answer types the reply of the first answer whose prompt the pending
// output matches.
func (s *session) answer() error {
	for _, a := range s.answers {
		if a.Prompt.MatchString(s.pending) {
			s.pending = ""
			s.answered++
			// Enter is a carriage return, as a keyboard sends it: a line
			// discipline in canonical mode turns it into a newline, and
			// programs with the terminal in raw mode (prompt libraries)
			// read it as Enter.
			_, err := s.term.Write([]byte(a.Reply + "\r"))
			return err
		}
	}
	return nil
}

func (s *session) transcript() string { return string(s.out) }

func tailLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	if s == "" {
		return "  (no output)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
