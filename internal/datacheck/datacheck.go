// Package datacheck proves that an app's data survived an upgrade or a
// restore. A Checker seeds data carrying a marker unique to the run, can
// mutate it (change it, delete part of it) and verifies that exactly what
// was seeded is there. Two kinds exist:
//
//   - Hooks: the recipe's own seed, mutate and verify commands (from its
//     enrollment), run in a service's container through the app's CLI or
//     database, so they check the live data the app serves;
//   - Markers: the generic floor for recipes without hooks: marker files
//     written into the directories the recipe backs up (or, without backup
//     labels, the volumes it mounts), read back the same way.
//
// Every command runs inside the recipe's containers, never on the host.
package datacheck

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/containers"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
)

// MarkerEnv is the variable hooks read the run's marker from.
const MarkerEnv = "RECIPE_TEST_MARKER"

// ErrUnverifiable is wrapped when a check has nowhere to put its data.
var ErrUnverifiable = errors.New("data integrity cannot be checked")

// Containers is what checks need of a deployment; the swarm client has it.
type Containers interface {
	ServiceContainer(ctx context.Context, service string) (string, error)
	ExecShell(ctx context.Context, containerID, command string, env []string) (containers.ExecResult, error)
}

// Logger receives one line per step, with command output.
type Logger func(format string, args ...any)

// A Checker seeds, mutates and verifies an app's data.
type Checker interface {
	// Describe says what the check looks at, for the report.
	Describe() string
	// Seed writes data carrying marker.
	Seed(ctx context.Context, marker string) error
	// Mutate changes the marker and deletes part of the seeded data.
	Mutate(ctx context.Context) error
	// Verify returns nil when the data is exactly as seeded with marker,
	// else an error that says what differs.
	Verify(ctx context.Context, marker string) error
}

// Hooks runs a recipe's declared hooks in the container of Service (full
// swarm name).
type Hooks struct {
	C       Containers
	Service string // full swarm service name
	Short   string // the compose service name, for messages
	Hooks   enrollment.Hooks
	Log     Logger
	// Timeout bounds each hook; 0 = DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds each command a check runs when none is given.
const DefaultTimeout = 10 * time.Minute

func timeoutOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}

func (h *Hooks) Describe() string {
	return fmt.Sprintf("the recipe's seed/mutate/verify hooks in service %s", h.Short)
}

func (h *Hooks) Seed(ctx context.Context, marker string) error {
	return h.run(ctx, "seed", h.Hooks.Seed, marker)
}

func (h *Hooks) Mutate(ctx context.Context) error {
	return h.run(ctx, "mutate", h.Hooks.Mutate, "")
}

func (h *Hooks) Verify(ctx context.Context, marker string) error {
	return h.run(ctx, "verify", h.Hooks.Verify, marker)
}

func (h *Hooks) run(ctx context.Context, name, command, marker string) error {
	id, err := h.C.ServiceContainer(ctx, h.Service)
	if err != nil {
		return fmt.Errorf("%s hook: %w", name, err)
	}
	h.Log("%s hook in service %s: %s", name, h.Short, command)
	res, err := containers.ExecWithin(ctx, timeoutOr(h.Timeout), func(ctx context.Context) (containers.ExecResult, error) {
		return h.C.ExecShell(ctx, id, command, []string{MarkerEnv + "=" + marker})
	})
	var te *containers.TimeoutError
	if errors.As(err, &te) {
		return fmt.Errorf("%s hook %q in service %s: %w (the hook timeout)", name, command, h.Short, err)
	}
	if err != nil {
		return fmt.Errorf("%s hook: %w", name, err)
	}
	if out := res.Output(); out != "" {
		h.Log("  | %s", strings.ReplaceAll(out, "\n", "\n  | "))
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("%s hook %q exited %d%s", name, command, res.ExitCode, suffix(res.Output()))
	}
	return nil
}

// Location is a directory in a service's containers that markers go into.
type Location struct {
	Service string // full swarm service name
	Short   string
	Dir     string
}

// Marker file names; dot files, so apps listing their data skip them.
const (
	markerFile = ".recipe-test-marker"
	extraFile  = ".recipe-test-extra" // deleted by Mutate
)

// Markers is the generic check: two marker files in each candidate
// directory that exists in the container. Mutate rewrites the first and
// deletes the second; Verify wants both back, as seeded.
type Markers struct {
	C          Containers
	Candidates []Location
	Log        Logger
	// Timeout bounds each command; 0 = DefaultTimeout.
	Timeout time.Duration

	used []Location // the candidates that are directories, found by Seed
}

func (m *Markers) Describe() string {
	if len(m.used) == 0 {
		return "generic marker files"
	}
	var where []string
	for _, l := range m.used {
		where = append(where, l.Short+":"+l.Dir)
	}
	return "generic marker files in " + strings.Join(where, ", ")
}

// Used returns the directories Seed wrote markers into.
func (m *Markers) Used() []Location { return m.used }

// MarkerFiles returns the container paths of the markers Seed wrote.
func (m *Markers) MarkerFiles() []string {
	var out []string
	for _, l := range m.used {
		out = append(out, path.Join(l.Dir, markerFile), path.Join(l.Dir, extraFile))
	}
	return out
}

func (m *Markers) Seed(ctx context.Context, marker string) error {
	m.used = nil
	for _, l := range m.Candidates {
		res, err := m.sh(ctx, l, `[ -d "$RECIPE_TEST_DIR" ]`, "")
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if res.ExitCode != 0 {
			m.Log("service %s: %s is not a directory: no marker there", l.Short, l.Dir)
			continue
		}
		res, err = m.sh(ctx, l, `printf '%s\n' "$RECIPE_TEST_MARKER" > "$RECIPE_TEST_DIR/`+markerFile+`" && printf '%s\n' "$RECIPE_TEST_MARKER" > "$RECIPE_TEST_DIR/`+extraFile+`"`, marker)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("seed: writing markers into %s in service %s exited %d%s", l.Dir, l.Short, res.ExitCode, suffix(res.Output()))
		}
		m.used = append(m.used, l)
		m.Log("service %s: wrote markers %s and %s into %s", l.Short, markerFile, extraFile, l.Dir)
	}
	if len(m.used) == 0 {
		var dirs []string
		for _, l := range m.Candidates {
			dirs = append(dirs, l.Short+":"+l.Dir)
		}
		if len(dirs) == 0 {
			return fmt.Errorf("%w: the recipe keeps no data in volumes", ErrUnverifiable)
		}
		return fmt.Errorf("%w generically: no backed-up path is a directory (%s); declare seed/mutate/verify hooks in recipe.toml",
			ErrUnverifiable, strings.Join(dirs, ", "))
	}
	return nil
}

func (m *Markers) Mutate(ctx context.Context) error {
	for _, l := range m.used {
		res, err := m.sh(ctx, l, `printf 'mutated\n' > "$RECIPE_TEST_DIR/`+markerFile+`" || exit 1
rm -f "$RECIPE_TEST_DIR/`+extraFile+`" 2>/dev/null || /bin/busybox rm -f "$RECIPE_TEST_DIR/`+extraFile+`"`, "")
		if err != nil {
			return fmt.Errorf("mutate: %w", err)
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("mutate: markers in %s of service %s: exit %d%s", l.Dir, l.Short, res.ExitCode, suffix(res.Output()))
		}
		m.Log("service %s: changed %s and deleted %s in %s", l.Short, markerFile, extraFile, l.Dir)
	}
	return nil
}

// readScript prints "<file>=<first line>" or "<file> missing" per marker,
// with shell builtins only (images may have no cat).
const readScript = `for f in ` + markerFile + ` ` + extraFile + `; do
if [ -f "$RECIPE_TEST_DIR/$f" ]; then v=; read -r v < "$RECIPE_TEST_DIR/$f"; printf '%s=%s\n' "$f" "$v"; else printf '%s missing\n' "$f"; fi
done`

func (m *Markers) Verify(ctx context.Context, marker string) error {
	var problems []string
	for _, l := range m.used {
		res, err := m.sh(ctx, l, readScript, "")
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("verify: reading markers in %s of service %s: exit %d%s", l.Dir, l.Short, res.ExitCode, suffix(res.Output()))
		}
		for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
			file, value, found := strings.Cut(line, "=")
			p := path.Join(l.Dir, strings.TrimSuffix(file, " missing"))
			switch {
			case !found:
				problems = append(problems, fmt.Sprintf("%s is missing in service %s", p, l.Short))
			case value != marker:
				problems = append(problems, fmt.Sprintf("%s in service %s holds %q, not the seeded %q", p, l.Short, value, marker))
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func (m *Markers) sh(ctx context.Context, l Location, script, marker string) (containers.ExecResult, error) {
	id, err := m.C.ServiceContainer(ctx, l.Service)
	if err != nil {
		return containers.ExecResult{}, err
	}
	res, err := containers.ExecWithin(ctx, timeoutOr(m.Timeout), func(ctx context.Context) (containers.ExecResult, error) {
		return m.C.ExecShell(ctx, id, script, []string{"RECIPE_TEST_DIR=" + l.Dir, MarkerEnv + "=" + marker})
	})
	if err != nil {
		return res, fmt.Errorf("markers in %s of service %s: %w", l.Dir, l.Short, err)
	}
	return res, nil
}

// suffix is ": " and the last lines of a hook's output, or "" when it
// printed nothing.
func suffix(out string) string {
	if out = excerpt.LastLines(out, 5); out == "" {
		return ""
	}
	return ": " + out
}
