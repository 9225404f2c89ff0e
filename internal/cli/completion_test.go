package cli

import (
	"strings"
	"testing"
)

// Flags that take one of a few words complete them in the shell, through
// cobra's hidden __complete command that the completion scripts call.
func TestFlagCompletions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--stages", ""}, []string{"lint", "install", "upgrade", "backup", "restore", "custom"}},
		{[]string{"run", "--stages", "install,up"}, []string{"install,upgrade", "install,custom"}},
		{[]string{"run", "--ingress", ""}, []string{"direct", "traefik"}},
		{[]string{"run", "--deployer", ""}, []string{"auto", "swarm", "abra"}},
		{[]string{"run", "--forge", ""}, []string{"github", "gitea", "none"}},
		{[]string{"publish", "--forge", ""}, []string{"github", "gitea"}},
		{[]string{"report", "--format", ""}, []string{"markdown", "junit", "json"}},
	} {
		code, out, stderr := runCLI(t, append([]string{"__complete"}, tc.args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		lines := strings.Split(out, "\n")
		for _, w := range tc.want {
			found := false
			for _, l := range lines {
				found = found || l == w
			}
			if !found {
				t.Errorf("%v: no completion %q in:\n%s", tc.args, w, out)
			}
		}
	}
	// Every flag with values is some command's flag.
	root := newRootCmd(nil, nil)
	for name := range flagValues() {
		found := false
		for _, cmd := range root.Commands() {
			found = found || cmd.Flags().Lookup(name) != nil
		}
		if !found {
			t.Errorf("flag --%s has completions but no command has it", name)
		}
	}
}
