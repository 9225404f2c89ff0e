package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

// The bound flags and the inputs of the same names give the same limits,
// and without either the defaults apply.
func TestLimitFlagsLikeInputs(t *testing.T) {
	var cli runner.Limits
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	registerLimitFlags(f, &cli)
	want := runner.Limits{Deadline: 60 * time.Minute, MaxTimeout: 30 * time.Minute, CloneTimeout: 5 * time.Minute,
		HookTimeout: 10 * time.Minute, ExecTimeout: 5 * time.Minute, MaxArchive: 1 << 30, MaxOutput: 64 << 10, MaxReadFile: 64 << 20}
	if cli != want {
		t.Errorf("flag defaults %+v, want %+v", cli, want)
	}
	args := map[string]string{"deadline": "45m", "max-timeout": "20m", "clone-timeout": "90s", "hook-timeout": "2m",
		"exec-timeout": "1m", "max-archive-size": "512MiB", "max-output": "16k", "max-read-file": "1g"}
	var argv []string
	for k, v := range args {
		argv = append(argv, "--"+k, v)
	}
	if err := f.Parse(argv); err != nil {
		t.Fatal(err)
	}
	want = runner.Limits{Deadline: 45 * time.Minute, MaxTimeout: 20 * time.Minute, CloneTimeout: 90 * time.Second,
		HookTimeout: 2 * time.Minute, ExecTimeout: time.Minute, MaxArchive: 512 << 20, MaxOutput: 16 << 10, MaxReadFile: 1 << 30}
	if cli != want {
		t.Errorf("flags gave %+v, want %+v", cli, want)
	}
	var act runner.Limits
	if err := limitInputs(func(k string) string { return args[k] }, &act); err != nil {
		t.Fatal(err)
	}
	if act != cli {
		t.Errorf("inputs gave %+v, flags %+v", act, cli)
	}
	var none runner.Limits
	if err := limitInputs(func(string) string { return "" }, &none); err != nil || none != (runner.Limits{}) {
		t.Errorf("no inputs: %+v, %v (want zero: the run's defaults)", none, err)
	}
	for input, value := range map[string]string{"deadline": "soon", "hook-timeout": "-1m", "max-archive-size": "big", "max-output": "0"} {
		err := limitInputs(func(k string) string {
			if k == input {
				return value
			}
			return ""
		}, &runner.Limits{})
		if err == nil || !strings.Contains(err.Error(), "input "+input) {
			t.Errorf("input %s=%q: error %v, want one naming the input", input, value, err)
		}
	}
}
