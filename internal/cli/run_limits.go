package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

// registerLimitFlags declares run's bounds on what a recipe can make the
// run do. Each is also an action input of the same name (limitInputs).
func registerLimitFlags(f *pflag.FlagSet, l *runner.Limits) {
	f.DurationVar(&l.Deadline, "deadline", runner.DefaultDeadline, "the most the run may take before teardown: the stages stop there, the report names the stage that hit it, and teardown still gets its own time")
	f.DurationVar(&l.MaxTimeout, "max-timeout", runner.DefaultMaxTimeout, "cap on the convergence timeout the recipe asks for (its coop-cloud.<stack>.timeout label, recipe.toml's timeouts.deploy); never below --timeout")
	f.DurationVar(&l.CloneTimeout, "clone-timeout", runner.DefaultCloneTimeout, "the most fetching the recipe (its clone and fetches) may take")
	f.DurationVar(&l.HookTimeout, "hook-timeout", runner.DefaultHookTimeout, "the most each backup or data-check hook run in the app's containers may take")
	f.DurationVar(&l.ExecTimeout, "exec-timeout", runner.DefaultExecTimeout, "the most each Exec, ExecShell or ReadFile of the recipe's own tests may take")
	l.MaxArchive, l.MaxOutput, l.MaxReadFile = runner.DefaultMaxArchive, runner.DefaultMaxOutput, runner.DefaultMaxReadFile
	f.Var(sizeValue[int64]{&l.MaxArchive}, "max-archive-size", "the most one service's backup archive may hold (e.g. 512MiB, 2GiB)")
	f.Var(sizeValue[int]{&l.MaxOutput}, "max-output", "the most of each stage's output kept in the results (its last lines)")
	f.Var(sizeValue[int64]{&l.MaxReadFile}, "max-read-file", "the most a recipe test may read of one file in a container")
}

// limitInputs reads the action inputs that mirror registerLimitFlags'
// flags; an empty input leaves the default. A bad value is an error
// naming the input.
func limitInputs(in func(string) string, l *runner.Limits) error {
	for name, d := range map[string]*time.Duration{"deadline": &l.Deadline, "max-timeout": &l.MaxTimeout,
		"clone-timeout": &l.CloneTimeout, "hook-timeout": &l.HookTimeout, "exec-timeout": &l.ExecTimeout} {
		s := strings.TrimSpace(in(name))
		if s == "" {
			continue
		}
		v, err := time.ParseDuration(s)
		if err != nil || v <= 0 {
			return fmt.Errorf("input %s %q: want a positive Go duration, e.g. 30m or 1h30m", name, s)
		}
		*d = v
	}
	for name, v := range map[string]pflag.Value{"max-archive-size": sizeValue[int64]{&l.MaxArchive},
		"max-output": sizeValue[int]{&l.MaxOutput}, "max-read-file": sizeValue[int64]{&l.MaxReadFile}} {
		if s := strings.TrimSpace(in(name)); s != "" {
			if err := v.Set(s); err != nil {
				return fmt.Errorf("input %s: %w", name, err)
			}
		}
	}
	return nil
}

// sizeValue is a byte size flag: a number with an optional unit (k, KiB,
// m, MiB, g, GiB; binary multiples), e.g. 64KiB or 1g.
type sizeValue[T int | int64] struct{ p *T }

func (s sizeValue[T]) String() string {
	if s.p == nil {
		return ""
	}
	return units.BytesSize(float64(*s.p))
}

func (s sizeValue[T]) Set(v string) error {
	n, err := units.RAMInBytes(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a size: give bytes with an optional unit, e.g. 64KiB, 512MiB or 2GiB", v)
	}
	*s.p = T(n)
	return nil
}

func (sizeValue[T]) Type() string { return "size" }
