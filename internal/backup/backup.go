// Package backup backs up and restores a deployed recipe the way its
// backupbot.* labels say, with the semantics of Co-op Cloud's backup bot:
//
//   - backupbot.backup=true selects a service;
//   - backupbot.backup.pre-hook and .post-hook run inside the service's
//     container before and after the files are saved;
//   - backupbot.backup.volumes.<vol>.path (comma separated, relative to the
//     volume) selects what is saved of each volume the service mounts; a
//     volume without paths is saved whole, one labelled
//     backupbot.backup.volumes.<vol>=false is left out;
//   - the older backupbot.backup.path names absolute container paths;
//   - backupbot.restore.pre-hook and .post-hook run inside the container
//     around putting the files back.
//
// Files are copied with the Engine API's archive endpoints (no helper
// containers), one tar archive per service that keeps each file's absolute
// path, so an archive can be inspected with any tar tool.
package backup

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Containers is what backups need of a deployment's containers; the swarm
// client provides it.
type Containers interface {
	ServiceContainer(ctx context.Context, service string) (string, error)
	ExecShell(ctx context.Context, containerID, command string, env []string) (containers.ExecResult, error)
	ArchivePaths(ctx context.Context, containerID string, paths []string, tw *tar.Writer) (int, error)
	RestoreArchive(ctx context.Context, containerID string, archive io.Reader) error
}

// Target is one service's share of a backup.
type Target struct {
	Service  string // short name
	FullName string // the swarm service
	Labels   recipe.Backup
	// Paths are the absolute container paths saved, sorted.
	Paths []string
}

// Plan returns what a backup of app saves, one Target per selected service
// in name order, and warnings about labels it does not act on. No target
// means the recipe declares nothing to back up.
func Plan(app *recipe.App) ([]Target, []string) {
	var targets []Target
	var warnings []string
	for _, svc := range app.Services {
		b := svc.Backup
		if b == nil || !b.Enabled {
			continue
		}
		t := Target{Service: svc.Name, FullName: svc.FullName, Labels: *b}
		legacyOnly := len(b.Paths) > 0 && len(b.Volumes) == 0
		for _, p := range b.Paths {
			if !path.IsAbs(p) {
				warnings = append(warnings, fmt.Sprintf("service %s: backupbot.backup.path %q is not absolute: read as /%s", svc.Name, p, p))
			}
			t.Paths = append(t.Paths, path.Join("/", p))
		}
		if !legacyOnly {
			for _, m := range svc.Volumes {
				if slices.Contains(b.Excluded, m.Volume) {
					continue
				}
				sub, ok := b.Volumes[m.Volume]
				if !ok || len(sub) == 0 {
					t.Paths = append(t.Paths, path.Clean(m.Target))
					continue
				}
				for _, s := range sub {
					t.Paths = append(t.Paths, path.Join(m.Target, s))
				}
			}
			for vol := range b.Volumes {
				if !slices.ContainsFunc(svc.Volumes, func(m recipe.Mount) bool { return m.Volume == vol }) {
					warnings = append(warnings, fmt.Sprintf("service %s: backupbot.backup.volumes.%s names a volume the service does not mount: ignored", svc.Name, vol))
				}
			}
		}
		for k := range b.Other {
			warnings = append(warnings, fmt.Sprintf("service %s: label %s is not acted on by this backup", svc.Name, k))
		}
		sort.Strings(t.Paths)
		t.Paths = slices.Compact(t.Paths)
		if len(t.Paths) == 0 && b.PreHook == "" {
			warnings = append(warnings, fmt.Sprintf("service %s: backupbot.backup=true but it mounts no volume and names no path: nothing to save", svc.Name))
			continue
		}
		targets = append(targets, t)
	}
	sort.Strings(warnings)
	return targets, warnings
}

// Archive is one service's saved backup.
type Archive struct {
	Service string
	File    string // the tar archive on disk
	Entries int
	Bytes   int64
}

// Logger receives one line per step, with hook output.
type Logger func(format string, args ...any)

// Limits bound what a recipe's backup may cost the runner. Zero fields get
// the defaults.
type Limits struct {
	// HookTimeout bounds each hook command: a pre-hook that never returns
	// fails the backup instead of holding the run.
	HookTimeout time.Duration
	// MaxArchive bounds the bytes of one service's archive on the
	// runner's disk.
	MaxArchive int64
}

// Defaults for zero Limits.
const (
	DefaultHookTimeout = 10 * time.Minute
	DefaultMaxArchive  = 1 << 30
)

func (l Limits) withDefaults() Limits {
	if l.HookTimeout <= 0 {
		l.HookTimeout = DefaultHookTimeout
	}
	if l.MaxArchive <= 0 {
		l.MaxArchive = DefaultMaxArchive
	}
	return l
}

// Backup saves one target into file: the pre-hook, the archive copy, then
// the post-hook, which runs even when the copy failed (it typically
// cleans up what the pre-hook dumped). A failing hook fails the backup.
func Backup(ctx context.Context, c Containers, t Target, file string, lim Limits, log Logger) (Archive, error) {
	lim = lim.withDefaults()
	a := Archive{Service: t.Service, File: file}
	id, err := c.ServiceContainer(ctx, t.FullName)
	if err != nil {
		return a, err
	}
	if err := runHook(ctx, c, id, t.Service, "backupbot.backup.pre-hook", t.Labels.PreHook, lim, log); err != nil {
		return a, err
	}
	a.Entries, a.Bytes, err = archive(ctx, c, id, t.Paths, file, lim.MaxArchive)
	if err != nil {
		err = fmt.Errorf("service %s: %w", t.Service, err)
	}
	if herr := runHook(ctx, c, id, t.Service, "backupbot.backup.post-hook", t.Labels.PostHook, lim, log); err == nil {
		err = herr
	}
	if err != nil {
		return a, err
	}
	log("service %s: saved %d entries (%d bytes) of %s into %s", t.Service, a.Entries, a.Bytes, strings.Join(t.Paths, ", "), file)
	return a, nil
}

func archive(ctx context.Context, c Containers, id string, paths []string, file string, maxBytes int64) (_ int, _ int64, err error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return 0, 0, fmt.Errorf("backup folder: %w", err)
	}
	f, err := os.Create(file)
	if err != nil {
		return 0, 0, fmt.Errorf("backup archive: %w", err)
	}
	// A partial archive is no backup: it goes when the copy fails.
	defer func() {
		if err != nil {
			os.Remove(file)
		}
	}()
	tw := tar.NewWriter(&cappedWriter{w: f, max: maxBytes})
	n, err := c.ArchivePaths(ctx, id, paths, tw)
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	st, serr := f.Stat()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		return n, 0, fmt.Errorf("save %s: %w", strings.Join(paths, ", "), err)
	}
	return n, st.Size(), nil
}

// Restore puts one target's archive back: the restore pre-hook, the files,
// then the restore post-hook (which typically loads a dump into the live
// database). It restores into the service's current container, which may
// belong to a fresh deployment.
func Restore(ctx context.Context, c Containers, t Target, a Archive, lim Limits, log Logger) error {
	lim = lim.withDefaults()
	id, err := c.ServiceContainer(ctx, t.FullName)
	if err != nil {
		return err
	}
	if err := runHook(ctx, c, id, t.Service, "backupbot.restore.pre-hook", t.Labels.RestorePreHook, lim, log); err != nil {
		return err
	}
	f, err := os.Open(a.File)
	if err != nil {
		return fmt.Errorf("service %s: backup archive: %w", t.Service, err)
	}
	err = c.RestoreArchive(ctx, id, f)
	f.Close()
	if err != nil {
		return fmt.Errorf("service %s: %w", t.Service, err)
	}
	log("service %s: restored %d entries from %s", t.Service, a.Entries, a.File)
	return runHook(ctx, c, id, t.Service, "backupbot.restore.post-hook", t.Labels.RestorePostHook, lim, log)
}

// runHook runs one hook label's command, if set, and logs its output.
func runHook(ctx context.Context, c Containers, id, service, label, command string, lim Limits, log Logger) error {
	if strings.TrimSpace(command) == "" {
		return nil
	}
	log("service %s: %s: %s", service, label, command)
	res, err := containers.ExecWithin(ctx, lim.HookTimeout, func(ctx context.Context) (containers.ExecResult, error) {
		return c.ExecShell(ctx, id, unwrapShell(command), nil)
	})
	var te *containers.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("service %s: %s %q: %w (the hook timeout)", service, label, command, err)
	}
	if err != nil {
		return fmt.Errorf("service %s: %s: %w", service, label, err)
	}
	if out := res.Output(); out != "" {
		log("%s", indent(out))
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("service %s: %s %q exited %d: %s", service, label, command, res.ExitCode, excerpt.LastLines(res.Output(), 5))
	}
	return nil
}

// unwrapShell drops a `bash -c '...'` or `sh -c "..."` wrapper some recipes
// put around hooks, as the backup bot does: the hook runs in a shell anyway.
func unwrapShell(cmd string) string {
	c := strings.TrimSpace(cmd)
	for _, p := range []string{"bash -c ", "sh -c ", "/bin/bash -c ", "/bin/sh -c "} {
		if rest, ok := strings.CutPrefix(c, p); ok {
			rest = strings.TrimSpace(rest)
			if len(rest) >= 2 && (rest[0] == '\'' || rest[0] == '"') && rest[len(rest)-1] == rest[0] {
				return rest[1 : len(rest)-1]
			}
			return rest
		}
	}
	return c
}

func indent(s string) string { return "  | " + strings.ReplaceAll(s, "\n", "\n  | ") }

// cappedWriter passes at most max bytes to w, then fails every write: the
// archive copy stops there.
type cappedWriter struct {
	w      io.Writer
	max, n int64
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if c.n+int64(len(p)) > c.max {
		return 0, fmt.Errorf("the archive passed %s, the most one service's backup may hold", sizeText(c.max))
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// sizeText writes n bytes in the largest unit that divides it.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
