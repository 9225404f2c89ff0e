package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

// flagValues are the values of the flags that take one of a few words, for
// shell completion (`recipe-test completion bash|zsh|fish|powershell`).
func flagValues() map[string][]string {
	return map[string][]string{
		"stages":    runner.SelectableStages(),
		"ingress":   {"direct", "traefik"},
		"deployer":  {"auto", "swarm", "abra"},
		"forge":     {"github", "gitea", "none"},
		"format":    {"markdown", "junit", "json"},
		"container": {"auto", "none"},
	}
}

// registerCompletions offers those values wherever such a flag is defined.
// --stages takes a comma list: the words already typed are kept.
func registerCompletions(root *cobra.Command) {
	values := flagValues()
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for name, words := range values {
			if cmd.Flags().Lookup(name) == nil {
				continue
			}
			words := words
			_ = cmd.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
				done := ""
				if i := strings.LastIndexByte(typed, ','); i >= 0 && name == "stages" {
					done = typed[:i+1]
				}
				var out []cobra.Completion
				for _, w := range words {
					out = append(out, done+w)
				}
				return out, cobra.ShellCompDirectiveNoFileComp
			})
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
