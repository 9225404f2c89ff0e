package cli

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// workflowFiles are the catalogue's workflows in docs/workflows, which the
// README shows.
var workflowFiles = []string{"github-pr.yml", "github-nightly.yml", "github-mirror-sync.yml", "gitea-pr.yml", "gitea-nightly.yml"}

type workflow struct {
	Name        string                 `yaml:"name"`
	On          yaml.Node              `yaml:"on"`
	Permissions map[string]string      `yaml:"permissions"`
	Jobs        map[string]workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Name     string            `yaml:"name"`
	RunsOn   any               `yaml:"runs-on"`
	Needs    any               `yaml:"needs"`
	If       string            `yaml:"if"`
	Outputs  map[string]string `yaml:"outputs"`
	Strategy struct {
		FailFast    *bool          `yaml:"fail-fast"`
		MaxParallel int            `yaml:"max-parallel"`
		Matrix      map[string]any `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []workflowStep `yaml:"steps"`
	raw   string
}

type workflowStep struct {
	Name string `yaml:"name"`
	ID   string `yaml:"id"`
	Uses string `yaml:"uses"`
	If   string `yaml:"if"`
	Run  string `yaml:"run"`
	// WorkingDirectory is where a run step's shell starts.
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
	With             map[string]string `yaml:"with"`
}

func readWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var doc struct {
		Jobs map[string]yaml.Node `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for id, node := range doc.Jobs {
		out, err := yaml.Marshal(&node)
		if err != nil {
			t.Fatal(err)
		}
		j := w.Jobs[id]
		j.raw = string(out)
		w.Jobs[id] = j
	}
	return w, string(data)
}

var (
	exprRe       = regexp.MustCompile(`\$\{\{[^}]*\}\}`)
	fromJSONRe   = regexp.MustCompile(`^\$\{\{\s*fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\)\s*\}\}$`)
	stepOutputRe = regexp.MustCompile(`^\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}$`)
	actionRe     = regexp.MustCompile(`^(https://github\.com/)?cc-ci/recipe-test@v2$`)
	checkoutRe   = regexp.MustCompile(`^(https://github\.com/)?actions/checkout@v4$`)
	// uploadRe is the artifact upload the nightly keeps its results with
	// (Gitea's runner serves the v3 protocol only).
	uploadRe = regexp.MustCompile(`^(actions/upload-artifact@v4|https://github\.com/actions/upload-artifact@v3)$`)
)

// recipeTestCommand checks args (a docker:// step's, the action image's
// entrypoint being recipe-test) against the CLI's command tree: the
// command exists and takes every flag and argument given. Expressions
// stand for one word each. It returns the command's path and its flags.
func recipeTestCommand(t *testing.T, file, args string) (string, map[string]string) {
	t.Helper()
	words := strings.Fields(exprRe.ReplaceAllString(args, "EXPR"))
	root := newRootCmd(io.Discard, io.Discard)
	cmd, rest, err := root.Find(words)
	if err != nil || cmd == root {
		t.Errorf("%s: %q is no recipe-test command: %v", file, args, err)
		return "", nil
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: recipe-test %s: %v", file, args, err)
		return "", nil
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		t.Errorf("%s: recipe-test %s: %v", file, args, err)
	}
	flags := map[string]string{}
	for i, w := range rest {
		if name, ok := strings.CutPrefix(w, "--"); ok {
			f := cmd.Flags().Lookup(name)
			if f != nil && f.Value.Type() != "bool" && i+1 < len(rest) {
				flags[name] = rest[i+1]
			} else {
				flags[name] = "true"
			}
		}
	}
	return cmd.CommandPath(), flags
}

// The catalogue's workflows (docs/workflows, shown in the README) use
// only what exists: each docker:// step of the action image runs a
// recipe-test command with flags and arguments the CLI has (walked in its
// cobra tree), each step of the action gives only inputs action.yml
// declares, the token a command reads is in the step's env. A matrix is
// fed by a job output that a step writes with --github-output, from a
// job the matrix job needs, and an empty list skips the job; changed's
// checkouts have the base branch's history. The Gitea workflows name
// actions by their full URL (their runners resolve short names against
// their own instance), GitHub's by their short name.
func TestCatalogueWorkflows(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(testenv.RepoRoot(t), "docs", "workflows"))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		found = append(found, e.Name())
	}
	if want := slices.Sorted(slices.Values(workflowFiles)); !slices.Equal(found, want) {
		t.Errorf("docs/workflows holds %v, want %v", found, want)
	}
	inputs := actionInputs(t)
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range workflowFiles {
		w, text := readWorkflow(t, file)
		if !strings.Contains(string(readme), "```yaml\n"+text+"```\n") {
			t.Errorf("README.md does not show docs/workflows/%s as it is", file)
		}
		gitea := strings.HasPrefix(file, "gitea-")
		commands := map[string]string{} // job.output -> the command writing it
		for id, job := range w.Jobs {
			for _, s := range job.Steps {
				switch {
				case strings.HasPrefix(s.Uses, "docker://ghcr.io/cc-ci/recipe-test:"):
					path, flags := recipeTestCommand(t, file, s.With["args"])
					if env := flags["token-env"]; env != "" && s.Env[env] == "" {
						t.Errorf("%s: job %s: the step's command reads the token from $%s, which its env does not set", file, id, env)
					}
					if out := flags["github-output"]; out != "" {
						for name, expr := range job.Outputs {
							if m := stepOutputRe.FindStringSubmatch(expr); m != nil && m[1] == s.ID && m[2] == out {
								commands[id+"."+name] = path
							}
						}
					}
					if strings.HasSuffix(path, " changed") && !job.checksOutWithHistory() {
						t.Errorf("%s: job %s runs changed without a checkout of fetch-depth 0", file, id)
					}
				case actionRe.MatchString(s.Uses):
					for in := range s.With {
						if !inputs[in] {
							t.Errorf("%s: job %s: the action has no input %q", file, id, in)
						}
					}
					if s.With["recipe"] == "" {
						t.Errorf("%s: job %s: the action's step gives no recipe", file, id)
					}
				case uploadRe.MatchString(s.Uses):
					if s.With["path"] == "" || s.With["name"] == "" {
						t.Errorf("%s: job %s: an upload without a name or path", file, id)
					}
				case strings.HasPrefix(s.Uses, "docker://"), checkoutRe.MatchString(s.Uses), s.Uses == "":
				default:
					t.Errorf("%s: job %s: step uses %q, which this test does not know", file, id, s.Uses)
				}
				remote := s.Uses != "" && !strings.HasPrefix(s.Uses, "docker://")
				if remote && gitea != strings.HasPrefix(s.Uses, "https://") {
					t.Errorf("%s: job %s: uses %q (Gitea and Forgejo need full URLs, GitHub short names)", file, id, s.Uses)
				}
				if strings.Contains(s.Run, "recipe-test") {
					t.Errorf("%s: job %s: a run step calls recipe-test: use the action image (docker://), checked here", file, id)
				}
			}
		}
		matrices := 0
		for id, job := range w.Jobs {
			for key, v := range job.Strategy.Matrix {
				expr, _ := v.(string)
				m := fromJSONRe.FindStringSubmatch(expr)
				if m == nil {
					t.Errorf("%s: job %s: matrix %s = %v, want ${{ fromJSON(needs.JOB.outputs.NAME) }}", file, id, key, v)
					continue
				}
				matrices++
				from, output := m[1], m[2]
				if !job.needs(from) {
					t.Errorf("%s: job %s: its matrix comes from job %s, which it does not need", file, id, from)
				}
				cmd := commands[from+"."+output]
				if cmd == "" {
					t.Errorf("%s: job %s: needs.%s.outputs.%s is no output a recipe-test --github-output step writes", file, id, from, output)
				}
				if want := "needs." + from + ".outputs." + output + " != '[]'"; !strings.Contains(job.If, want) {
					t.Errorf("%s: job %s: if %q does not skip an empty list (%s)", file, id, job.If, want)
				}
				// list gives objects (their name is the recipe), changed names.
				field := regexp.MustCompile(`matrix\.` + key + `(\.\w+)?`)
				for _, use := range field.FindAllStringSubmatch(job.raw, -1) {
					if want := map[bool]string{true: ".name", false: ""}[strings.HasSuffix(cmd, " list")]; use[1] != want {
						t.Errorf("%s: job %s uses %s; the matrix of %s wants matrix.%s%s", file, id, use[0], cmd, key, want)
					}
				}
			}
		}
		if strings.Contains(file, "-pr") || strings.Contains(file, "-nightly") {
			if matrices != 1 {
				t.Errorf("%s: %d matrices, want one per recipe", file, matrices)
			}
		}
	}
}

func (j workflowJob) checksOutWithHistory() bool {
	for _, s := range j.Steps {
		if checkoutRe.MatchString(s.Uses) && s.With["fetch-depth"] == "0" {
			return true
		}
	}
	return false
}

func (j workflowJob) needs(job string) bool {
	switch n := j.Needs.(type) {
	case string:
		return n == job
	case []any:
		return slices.Contains(n, any(job))
	}
	return false
}
