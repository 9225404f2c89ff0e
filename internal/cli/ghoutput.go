package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"

	"github.com/spf13/pflag"
)

// githubOutputFlag declares --github-output NAME: the command's JSON also
// becomes the step output NAME, so that a workflow step running the
// action image (which has no shell to capture stdout) can feed a matrix.
func githubOutputFlag(f *pflag.FlagSet, name *string) {
	f.StringVar(name, "github-output", "", "also write the JSON, on one line, as the step output NAME ($GITHUB_OUTPUT, as GitHub, Gitea and Forgejo runners set it), e.g. for a matrix: fromJSON(steps.ID.outputs.NAME)")
}

var outputNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// writeGitHubOutput appends name=<v as one line of JSON> to the file
// $GITHUB_OUTPUT names.
func writeGitHubOutput(getenv func(string) string, name string, v any) error {
	if !outputNameRe.MatchString(name) {
		return usageError{fmt.Errorf("--github-output %q: an output name is letters, digits, '_' and '-'", name)}
	}
	path := getenv("GITHUB_OUTPUT")
	if path == "" {
		return usageError{fmt.Errorf("--github-output %s: $GITHUB_OUTPUT is unset (an Actions runner sets it for each step)", name)}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("--github-output: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%s=%s\n", name, data); err != nil {
		f.Close()
		return fmt.Errorf("--github-output: write %s: %w", path, err)
	}
	return f.Close()
}
