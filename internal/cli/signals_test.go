package cli

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The signals an Actions runner sends on cancel (SIGINT, SIGTERM 7.5 s
// later, SIGKILL after that) cancel the run once and never force the exit
// under a runner; at a terminal the second one does.
func TestHandleSignals(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keepGoing bool
		wantExit  int
	}{
		{"under a runner", true, -1},
		{"at a terminal", false, 128 + int(syscall.SIGTERM)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sigs := make(chan os.Signal) // unbuffered: a send returns once the handler took it
			done := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var log strings.Builder
			exited := make(chan int, 1)
			finished := make(chan struct{})
			go func() {
				handleSignals(sigs, done, cancel, &log, tc.keepGoing, func(code int) { exited <- code })
				close(finished)
			}()
			sigs <- os.Interrupt
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("SIGINT did not cancel the run")
			}
			sigs <- syscall.SIGTERM
			if tc.wantExit >= 0 {
				if code := <-exited; code != tc.wantExit {
					t.Errorf("exit code %d, want %d", code, tc.wantExit)
				}
				<-finished
				return
			}
			sigs <- syscall.SIGTERM
			close(done)
			<-finished
			select {
			case code := <-exited:
				t.Errorf("exited with %d under a runner: teardown was cut short", code)
			default:
			}
			if n := strings.Count(log.String(), "teardown goes on"); n != 2 {
				t.Errorf("want two notes that teardown goes on, got:\n%s", log.String())
			}
		})
	}
}
