package swarm

import (
	"bytes"
	"encoding/binary"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/swarm"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

func TestGenerateSecret(t *testing.T) {
	for _, tc := range []struct {
		secret recipe.Secret
		length int
		re     string
	}{
		{recipe.Secret{}, DefaultSecretLength, `^[A-Za-z0-9]+$`},
		{recipe.Secret{Length: 7, Charset: "hex"}, 7, `^[0-9a-f]+$`},
		{recipe.Secret{Length: 100, Charset: "alnum"}, 100, `^[A-Za-z0-9]+$`},
		{recipe.Secret{Length: 12, Charset: "special"}, 12, `^[A-Za-z0-9]+$`},
	} {
		a, err := GenerateSecret(tc.secret)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := GenerateSecret(tc.secret)
		if len(a) != tc.length || !regexp.MustCompile(tc.re).MatchString(a) || a == b {
			t.Errorf("%+v: got %d characters, want %d matching %s, and two different draws", tc.secret, len(a), tc.length, tc.re)
		}
	}
}

func TestReadLogDemultiplexes(t *testing.T) {
	// Frames as the daemon sends them: stream, three zero bytes, size.
	var raw bytes.Buffer
	for i := range 30 {
		stream := stdcopy.Stdout
		if i%2 == 1 {
			stream = stdcopy.Stderr
		}
		msg := strings.Repeat("x", i) + "line\n"
		raw.Write([]byte{byte(stream), 0, 0, 0})
		_ = binary.Write(&raw, binary.BigEndian, uint32(len(msg)))
		raw.WriteString(msg)
	}
	lines := readLog(io.NopCloser(&raw), false)
	if len(lines) != logTail || lines[0] != strings.Repeat("x", 10)+"line" || lines[logTail-1] != strings.Repeat("x", 29)+"line" {
		t.Errorf("got %q", lines)
	}
}

func failedTask(at time.Time, err string) swarm.Task {
	t := swarm.Task{Status: swarm.TaskStatus{State: swarm.TaskStateFailed, Timestamp: at, Err: err}}
	t.CreatedAt = at
	return t
}

func TestFailureWatchWaitsForTheOthers(t *testing.T) {
	t0 := time.Now()
	fails := []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)}
	app := serviceStatus{Name: "s_app", Short: "app", Desired: 1, Waiting: "starting", Failures: fails,
		Tasks: []swarm.Task{failedTask(t0.Add(2*time.Second), "task: non-zero exit (1)")}}
	db := serviceStatus{Name: "s_db", Short: "db", Desired: 1, Waiting: "starting"}

	var w failureWatch
	states := []serviceStatus{app, db}
	w.mark(states, t0.Add(3*time.Second))
	if states[0].Hopeless != "" {
		t.Fatalf("app failing while db starts is not hopeless yet: %q", states[0].Hopeless)
	}
	// db converges: only failures from now on count.
	db.Waiting, db.Running = "", 1
	states = []serviceStatus{app, db}
	w.mark(states, t0.Add(4*time.Second))
	if states[0].Hopeless != "" {
		t.Fatalf("old failures counted: %q", states[0].Hopeless)
	}
	app.Failures = append(app.Failures, t0.Add(5*time.Second), t0.Add(6*time.Second), t0.Add(7*time.Second))
	states = []serviceStatus{app, db}
	w.mark(states, t0.Add(8*time.Second))
	if !strings.Contains(states[0].Hopeless, "3 tasks failed, the last with: task: non-zero exit (1)") {
		t.Errorf("hopeless = %q", states[0].Hopeless)
	}
	if _, why := verdict(states); !strings.Contains(why, "s_app") {
		t.Errorf("verdict %q does not name s_app", why)
	}

	// Alone from the first check, every failure counts.
	var w2 failureWatch
	alone := []serviceStatus{{Name: "s_app", Waiting: "starting", Failures: fails}}
	w2.mark(alone, t0.Add(10*time.Second))
	if alone[0].Hopeless == "" {
		t.Error("a lone crash-looping service is not hopeless")
	}
}

func TestSummaryAndError(t *testing.T) {
	states := []serviceStatus{
		{Short: "app", Waiting: "starting"},
		{Short: "db"},
		{Short: "web", Desired: 2, Running: 1, Waiting: "1/2 running, unhealthy"},
	}
	if got, want := summary(states), "1/3 services converged (waiting for app: starting; web: 1/2 running, unhealthy)"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	e := &ConvergeError{Stack: "s", Reason: "timed out after 1m0s", Services: []ServiceFailure{{
		Service: "s_app", Desired: 1, State: "running", Error: "unhealthy",
		Health: "HTTP/1.1 503", Logs: []string{"a", "b"},
	}}}
	want := "stack s did not converge: timed out after 1m0s\n" +
		"  s_app: 0/1 tasks running; newest task running: unhealthy\n" +
		"    last health check: HTTP/1.1 503\n" +
		"    last 2 log lines:\n      | a\n      | b"
	if e.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", e.Error(), want)
	}
}
