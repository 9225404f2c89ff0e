package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jstemmer/go-junit-report/v2/parser/gotest"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/redact"
	"github.com/cc-ci/recipe-test/v2/internal/results"
)

// hangingBackup copies the backup-hooks fixture with a backup pre-hook
// that never returns.
func hangingBackup(t *testing.T) string {
	t.Helper()
	src := fixture(t, "backup-hooks")
	dir := filepath.Join(t.TempDir(), "backup-hooks")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	compose := filepath.Join(dir, "compose.yml")
	data, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	const hook = `"backupbot.backup.pre-hook=/webapp dump /data/dump.json"`
	if !strings.Contains(string(data), hook) {
		t.Fatalf("%s has no %s", compose, hook)
	}
	data = []byte(strings.Replace(string(data), hook, `"backupbot.backup.pre-hook=/bin/busybox sleep 3600"`, 1))
	if err := os.WriteFile(compose, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A recipe that asks for a 10 h timeout gets the operator's maximum, and
// says so; a backup hook that sleeps forever fails its stage once the hook
// timeout is up, naming the hook and the timeout; teardown still leaves
// nothing behind.
func TestHookTimeoutAndTimeoutCap(t *testing.T) {
	start := time.Now()
	res, progress := execute(t, Options{Source: Source{Recipe: hangingBackup(t)},
		Stages: []string{StageInstall, StageBackup},
		Deploy: Deploy{Env: []string{"TIMEOUT=36000"}},
		Limits: Limits{HookTimeout: 3 * time.Second, MaxTimeout: 2 * time.Minute}})
	install := stage(t, res, StageInstall)
	if install.Status != results.Pass || !strings.Contains(install.Note, "timeout label coop-cloud.${STACK_NAME}.timeout asks for 10h0m0s: capped at the maximum timeout, 2m0s") {
		t.Errorf("install %s, note %q\n%s", install.Status, install.Note, progress)
	}
	if !strings.Contains(install.Output, "waiting up to 2m0s") {
		t.Errorf("install did not wait with the capped timeout:\n%s", install.Output)
	}
	b := stage(t, res, StageBackup)
	for _, want := range []string{"backupbot.backup.pre-hook", "/bin/busybox sleep 3600", "still running after 3s", "hook timeout"} {
		if b.Status != results.Fail || !strings.Contains(b.Reason, want) {
			t.Errorf("backup %s: reason %q lacks %q", b.Status, b.Reason, want)
		}
	}
	if td := stage(t, res, StageTeardown); td.Status != results.Pass {
		t.Errorf("teardown %s: %s", td.Status, td.Reason)
	}
	if d := time.Since(start); d > 3*time.Minute {
		t.Errorf("run took %s", d)
	}
}

// At the run's deadline the stages stop, the report names the stage that
// hit it, the stages after it are not run, and teardown, which has its own
// time, still removes everything.
func TestRunDeadline(t *testing.T) {
	const deadline = 30 * time.Second
	start := time.Now()
	res, progress := execute(t, Options{Source: Source{Recipe: hangingBackup(t)},
		Stages: []string{StageInstall, StageBackup, StageRestore},
		Limits: Limits{Deadline: deadline}})
	if d := time.Since(start); d > deadline+2*time.Minute {
		t.Errorf("run took %s with a %s deadline", d, deadline)
	}
	if st := stage(t, res, StageInstall); st.Status != results.Pass {
		t.Fatalf("install %s: %s\n%s", st.Status, st.Reason, progress)
	}
	b := stage(t, res, StageBackup)
	if b.Status != results.Fail || !strings.HasPrefix(b.Reason, "the run's deadline (30s) was reached: ") {
		t.Errorf("backup %s: %q", b.Status, b.Reason)
	}
	if r := stage(t, res, StageRestore); r.Status != results.Skip || r.Reason != "not run: backup failed" && r.Reason != "not run: the run's deadline (30s) was reached during backup" {
		t.Errorf("restore %s: %q", r.Status, r.Reason)
	}
	if td := stage(t, res, StageTeardown); td.Status != results.Pass || len(res.Residue) != 0 {
		t.Errorf("teardown %s: %s, residue %v\n%s", td.Status, td.Reason, res.Residue, progress)
	}
}

// A forge that accepts the connection and never answers fails the plan
// once the clone timeout is up: nothing is deployed, exit 2.
func TestCloneTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var conns []net.Conn // held open, never answered
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	for _, url := range []string{"http://" + ln.Addr().String() + "/recipe.git", "git://" + ln.Addr().String() + "/recipe.git"} {
		t.Run(url[:strings.Index(url, ":")], func(t *testing.T) {
			start := time.Now()
			res, err := Execute(context.Background(), Options{Source: Source{Recipe: url},
				Limits:  Limits{CloneTimeout: 2 * time.Second},
				Janitor: Janitor{LockDir: t.TempDir(), Off: true},
				Output:  Output{Dir: t.TempDir()}})
			var pe *PlanError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "fetching recipe "+url+": not done within the clone timeout (2s)") {
				t.Fatalf("Execute = %v, want a plan error naming the clone timeout", err)
			}
			if !recipe.IsInputError(err) {
				t.Error("not an input error (exit 2)")
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
			if res == nil || len(res.Stages) != 0 || res.Stack != "" {
				t.Errorf("something ran: %+v", res)
			}
		})
	}
}

// The recipe's own timeout is capped at the maximum; recipe.toml's too;
// the operator's --timeout never is.
func TestTimeoutCap(t *testing.T) {
	for _, tc := range []struct {
		name           string
		label, timeout time.Duration
		max, want      time.Duration
		capped         bool
	}{
		{"label under the cap", 10 * time.Minute, 5 * time.Minute, 30 * time.Minute, 10 * time.Minute, false},
		{"label of 10h capped", 10 * time.Hour, 5 * time.Minute, 30 * time.Minute, 30 * time.Minute, true},
		{"no label: the option", 0, 5 * time.Minute, 30 * time.Minute, 5 * time.Minute, false},
		{"the option above the cap raises it", 10 * time.Hour, 45 * time.Minute, 30 * time.Minute, 45 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Source: Source{Recipe: "x"}, Deploy: Deploy{Timeout: tc.timeout}, Limits: Limits{MaxTimeout: tc.max}}
			cfg, err := resolve(o)
			if err != nil {
				t.Fatal(err)
			}
			r := &Run{cfg: cfg, App: &recipe.App{Timeout: tc.label}, stageOut: io.Discard}
			var rec Record
			if got := r.timeout(&rec); got != tc.want {
				t.Errorf("timeout = %s, want %s", got, tc.want)
			}
			r.timeout(&rec)
			if capped := strings.Contains(rec.note, "capped at the maximum timeout"); capped != tc.capped || strings.Count(rec.note, "capped") > 1 {
				t.Errorf("note %q, capped want %v (once)", rec.note, tc.capped)
			}
		})
	}
}

// A stage's kept output is its tail, however much it printed, and the
// buffer holding it stays bounded.
func TestCaptureBounded(t *testing.T) {
	b := &tailBuffer{max: 1000}
	line := strings.Repeat("x", 99) + "\n"
	for range 100000 { // 10 MB
		b.Write([]byte(line))
	}
	b.Write([]byte("last line\n"))
	if b.buf.Cap() > 8*1000 {
		t.Errorf("buffer grew to %d bytes", b.buf.Cap())
	}
	out := tail(b.String(), 1000)
	if len(out) > 1000+len("[...]\n") || !strings.HasPrefix(out, "[...]\n") || !strings.HasSuffix(out, "last line\n") {
		t.Errorf("tail %d bytes: %.40q ... %.40q", len(out), out, out[max(0, len(out)-40):])
	}
	big := &tailBuffer{max: 10}
	big.Write([]byte(strings.Repeat("y", 1000) + "\nend\n"))
	if got := tail(big.String(), 10); got != "[...]\nend\n" {
		t.Errorf("one large write: %q", got)
	}
}

// The recipe's tests get the run's exec timeout and read limit in their
// facts.
func TestFactsCarryLimits(t *testing.T) {
	o := Options{Source: Source{Recipe: "x"}, Limits: Limits{ExecTimeout: 90 * time.Second, MaxReadFile: 4096}}
	cfg, err := resolve(o)
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{cfg: cfg, Recipe: &recipe.Recipe{Name: "x"}, App: &recipe.App{}}
	if f := r.facts(t.TempDir()); f.ExecTimeoutS != 90 || f.MaxReadFile != 4096 {
		t.Errorf("facts carry exec timeout %d s, read limit %d", f.ExecTimeoutS, f.MaxReadFile)
	}
}

// What the recipe's tests print is bounded: the stream their results are
// read from up to maxTestOutput (more fails the stage), each test's output
// kept as its tail.
func TestTestOutputBounded(t *testing.T) {
	c := &cappedBuffer{max: 10}
	c.Write([]byte("0123456"))
	c.Write([]byte("789abc"))
	if c.String() != "0123456789" || c.dropped != 3 {
		t.Errorf("capped buffer holds %q, dropped %d", c.String(), c.dropped)
	}
	var out strings.Builder
	out.WriteString("=== RUN   TestChatty\n")
	for i := range 5000 {
		out.WriteString("    chatty_test.go:9: the app said: " + strings.Repeat("z", 60) + " " + time.Duration(i).String() + "\n")
	}
	out.WriteString("    chatty_test.go:10: last words\n--- FAIL: TestChatty (0.01s)\nFAIL\n")
	rep, err := gotest.NewParser().Parse(strings.NewReader(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{Redact: &redact.Redactor{}, stageOut: io.Discard, cfg: config{limits: Limits{MaxOutput: 4096}}}
	var rec Record
	r.recordTests(&rec, rep, nil, out.String())
	if len(rec.Tests) != 1 || len(rec.Tests[0].Output) > 4096+len("[...]\n") || !strings.HasSuffix(rec.Tests[0].Output, "last words") {
		t.Errorf("test output of %d bytes kept: %.80q", len(rec.Tests[0].Output), rec.Tests[0].Output)
	}
}
