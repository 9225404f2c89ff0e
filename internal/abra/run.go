package abra

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/ptyexec"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
)

// runner runs abra commands against one private ABRA_DIR, logging each
// command, its time and its transcript (masked) through progress.
type runner struct {
	cfg Config
	dir string // ABRA_DIR
	red *redact.Redactor
}

// CommandError is an abra command that failed: it names the command and
// carries its last output lines, masked.
type CommandError struct {
	Command string // "abra app deploy example.test --chaos ..."
	Err     error  // *ptyexec.ExitError or *ptyexec.KilledError, or a start failure
	msg     string // the masked message
}

func (e *CommandError) Error() string { return e.msg }
func (e *CommandError) Unwrap() error { return e.Err }

// prompt answers: abra's confirmations are yes/no questions.
func yes(question string) ptyexec.Answer {
	return ptyexec.Answer{Prompt: regexp.MustCompile(question + `.*\(y/N\)\s*$`), Reply: "y"}
}

// run runs `abra args...` in a pseudo-terminal with ABRA_DIR set, answering
// the prompts given. The transcript goes to progress, masked, with the
// command's duration.
func (r *runner) run(ctx context.Context, progress func(string), args []string, answers ...ptyexec.Answer) (ptyexec.Result, error) {
	timeout := r.cfg.CommandTimeout
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	line := "abra " + strings.Join(args, " ")
	progress("$ " + r.red.String(line))
	res, err := ptyexec.Run(ctx, ptyexec.Cmd{
		Path: r.cfg.Binary, Args: args, Answers: answers, Timeout: timeout, Idle: idle,
		// A wide terminal: abra's tables are not wrapped. NO_COLOR: plain
		// text, though escape sequences are stripped anyway.
		Env: append(os.Environ(), "ABRA_DIR="+r.dir, "NO_COLOR=1", "TERM=xterm"),
	})
	if t := strings.TrimRight(res.Transcript, "\n"); t != "" {
		progress(r.red.String(indent(t)))
	}
	progress(fmt.Sprintf("  (abra %s: %s)", outcome(res, err), res.Duration.Round(10*time.Millisecond)))
	if err != nil {
		msg := r.red.String(strings.Replace(err.Error(), r.cfg.Binary, "abra", 1))
		return res, &CommandError{Command: r.red.String(line), Err: err, msg: msg}
	}
	return res, nil
}

func outcome(res ptyexec.Result, err error) string {
	var ke *ptyexec.KilledError
	switch {
	case errors.As(err, &ke):
		return "killed"
	case err != nil && res.ExitCode == 0:
		return "did not start"
	default:
		return fmt.Sprintf("exit %d", res.ExitCode)
	}
}

func indent(s string) string { return "  │ " + strings.ReplaceAll(s, "\n", "\n  │ ") }
