package backup

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// deploy runs the webapp fixture as service <stack>_app with a volume on
// /data, and connects.
func deploy(t *testing.T) (*swarm.Client, string) {
	t.Helper()
	testenv.Swarm(t)
	api, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	stack, id := swarmtest.Stack(t, "backup.test")
	swarmtest.Deploy(t, api, stack, swarmtest.Options{RunID: id})
	c, err := swarm.Connect(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, stack + "_app"
}

// A backup is bounded: a hook that never returns fails it once the hook
// timeout is up, naming the hook and the timeout, and an archive that
// grows past the size limit stops, fails naming the limit and leaves no
// partial archive on the runner.
func TestBackupBounds(t *testing.T) {
	c, svc := deploy(t)
	ctx := t.Context()
	out := t.TempDir()
	id, err := c.ServiceContainer(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	// 256 KiB of data in the volume.
	res, err := c.ExecShell(ctx, id, "/bin/busybox dd if=/dev/zero of=/data/big bs=1024 count=256", nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("writing data: %v %s", err, res.Output())
	}
	for _, tc := range []struct {
		name   string
		labels recipe.Backup
		lim    Limits
		want   []string
	}{
		{"pre-hook sleeps forever", recipe.Backup{Enabled: true, PreHook: "/bin/busybox sleep 3600"}, Limits{HookTimeout: 2 * time.Second},
			[]string{"service app: backupbot.backup.pre-hook", "/bin/busybox sleep 3600", "still running after 2s", "hook timeout"}},
		{"restore post-hook sleeps forever", recipe.Backup{Enabled: true, RestorePostHook: "/bin/busybox sleep 3600"}, Limits{HookTimeout: 2 * time.Second},
			[]string{"service app: backupbot.restore.post-hook", "still running after 2s"}},
		{"archive too large", recipe.Backup{Enabled: true}, Limits{MaxArchive: 64 << 10},
			[]string{"service app: save /data", "passed 64 KiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := Target{Service: "app", FullName: svc, Labels: tc.labels, Paths: []string{"/data"}}
			file := filepath.Join(out, strings.ReplaceAll(tc.name, " ", "-")+".tar")
			start := time.Now()
			a, err := Backup(ctx, c, target, file, tc.lim, t.Logf)
			if err == nil {
				err = Restore(ctx, c, target, a, tc.lim, t.Logf)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var te *containers.TimeoutError
			if tc.lim.HookTimeout > 0 && !errors.As(err, &te) {
				t.Errorf("error %v is not a timeout", err)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %s", d)
			}
			if tc.lim.MaxArchive > 0 {
				if _, serr := os.Stat(file); !errors.Is(serr, os.ErrNotExist) {
					t.Errorf("a partial archive was left: %v", serr)
				}
			}
		})
	}
	// Within the limits the same backup works.
	a, err := Backup(ctx, c, Target{Service: "app", FullName: svc, Labels: recipe.Backup{Enabled: true}, Paths: []string{"/data"}},
		filepath.Join(out, "ok.tar"), Limits{MaxArchive: 1 << 20}, t.Logf)
	if err != nil || a.Bytes < 256<<10 {
		t.Fatalf("backup within the limit: %v (%d bytes)", err, a.Bytes)
	}
}
