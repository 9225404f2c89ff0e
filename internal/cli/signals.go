package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// underRunner reports whether recipe-test runs as an Actions step: the
// action itself, or the CLI in a workflow's run step.
func underRunner(args []string) bool {
	return len(args) > 0 && args[0] == "action" || os.Getenv("GITHUB_ACTIONS") == "true"
}

// cancelOnSignal cancels the run on the first SIGINT or SIGTERM; teardown
// then runs under its own context. It returns a function that stops
// watching.
//
// At a terminal a second signal forces the exit, as a user pressing Ctrl-C
// twice expects. An Actions runner cancels a job with SIGINT, SIGTERM 7.5 s
// later and SIGKILL 2.5 s after that, so a second signal there is no
// user's choice: it is ignored and teardown goes on as long as it can.
// What the SIGKILL cuts short, the next run's janitor reaps once this
// run's lease on the swarm expires.
func cancelOnSignal(cancel context.CancelFunc, stderr io.Writer, keepGoing bool) (stop func()) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		handleSignals(sigs, done, cancel, stderr, keepGoing, os.Exit)
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// handleSignals is cancelOnSignal's loop, apart from the process for tests.
func handleSignals(sigs <-chan os.Signal, done <-chan struct{}, cancel context.CancelFunc, stderr io.Writer, keepGoing bool, exit func(int)) {
	first := true
	for {
		var sig os.Signal
		select {
		case sig = <-sigs:
		case <-done:
			return
		}
		switch {
		case first:
			first = false
			fmt.Fprintf(stderr, "recipe-test: %v: cancelling; teardown still runs\n", sig)
			cancel()
		case keepGoing:
			fmt.Fprintf(stderr, "recipe-test: %v: teardown goes on (a runner's cancel sends several signals); what a SIGKILL cuts short, the next run's janitor reaps\n", sig)
		default:
			fmt.Fprintf(stderr, "recipe-test: %v again: exiting now, teardown not finished (recipe-test janitor reaps what is left)\n", sig)
			code := 130
			if s, ok := sig.(syscall.Signal); ok {
				code = 128 + int(s)
			}
			exit(code)
			return
		}
	}
}
