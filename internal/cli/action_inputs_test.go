package cli

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// cliOnly are run's flags that have no action input, and why.
var cliOnly = map[string]string{
	"lock-dir":      "the action container is thrown away after the job",
	"janitor-grace": "an operator's choice for the swarm, not a workflow's",
	"no-janitor":    "an operator's choice for the swarm, not a workflow's",
	"lease-ttl":     "an operator's choice for the swarm, not a workflow's",
	"container":     "the action finds its own container; the flag is for a CLI in a container of another engine",
	"ssh-identity":  "the action takes the key's text from a secret (input ssh-key): a key file would be in the pull request's workspace",
}

// actionInputs are the inputs action.yml declares.
func actionInputs(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	inputs := map[string]bool{}
	for name := range action.Inputs {
		inputs[name] = true
	}
	return inputs
}

// Every run flag a workflow needs is an input of the same name, except
// the forge's (the action reads the forge from the runner's variables)
// and cliOnly's.
func TestEveryRunFlagIsAnInput(t *testing.T) {
	inputs := actionInputs(t)
	var ff forgeFlags
	forge := pflag.NewFlagSet("forge", pflag.ContinueOnError)
	ff.register(forge)
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	var o runner.Options
	var stages []string
	registerRunFlags(f, &o, &stages, &ff)
	f.VisitAll(func(fl *pflag.Flag) {
		if forge.Lookup(fl.Name) != nil || cliOnly[fl.Name] != "" {
			return
		}
		if !inputs[fl.Name] {
			t.Errorf("run --%s has no action input %q (add it to action.yml and runAction, or to cliOnly with the reason)", fl.Name, fl.Name)
		}
	})
}

// The inputs give the same options as the flags of the same names.
func TestRunInputsLikeFlags(t *testing.T) {
	var cli runner.Options
	var stages []string
	var ff forgeFlags
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	registerRunFlags(f, &cli, &stages, &ff)
	err := f.Parse([]string{"--env", "SMTP=yes", "--env", "COMPOSE_FILE=compose.yml:compose.smtp.yml",
		"--upgrade-from", "1.0.0+1.0", "--probe-path", "/health", "--probe-status", "200,302",
		"--connect-to", "127.0.0.1:443", "--ca-file", "ca.pem", "--insecure", "--retain",
		"--entrypoint-port", "mumble-tcp=64738", "--entrypoint-port", "ssh=2222", "--budget", "3",
		"--node", "w1=tcp://10.0.0.11:2376", "--node", "w2=ssh://ci@w2"})
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{
		// A YAML block scalar as a workflow writes it, with a comment, a
		// blank line and a Windows line end.
		"env":          "SMTP=yes\n# overlays\n\nCOMPOSE_FILE=compose.yml:compose.smtp.yml\r\n",
		"upgrade-from": "1.0.0+1.0", "probe-path": "/health", "probe-status": "200, 302",
		"connect-to": "127.0.0.1:443", "ca-file": "ca.pem", "insecure": "true", "retain": "true",
		"entrypoint-port": "mumble-tcp=64738,\n ssh = 2222\n", "budget": " 3",
		"node": "w1=tcp://10.0.0.11:2376,\n w2=ssh://ci@w2\n",
	}
	var act runner.Options
	if err := runInputs(func(k string) string { return inputs[k] }, &act); err != nil {
		t.Fatal(err)
	}
	if !sameEnv(t, act.Deploy.Env, cli.Deploy.Env) || act.Source.UpgradeFrom != cli.Source.UpgradeFrom || act.Ingress.Probe.Path != cli.Ingress.Probe.Path ||
		!slices.Equal(act.Ingress.Probe.Statuses, cli.Ingress.Probe.Statuses) || act.Ingress.Traefik.ConnectTo != cli.Ingress.Traefik.ConnectTo ||
		act.Ingress.Traefik.CAFile != cli.Ingress.Traefik.CAFile || act.Ingress.Traefik.Insecure != cli.Ingress.Traefik.Insecure ||
		act.Deploy.Retain != cli.Deploy.Retain || !act.Deploy.Retain ||
		!maps.Equal(act.Ingress.Traefik.EntrypointPorts, cli.Ingress.Traefik.EntrypointPorts) || len(act.Ingress.Traefik.EntrypointPorts) != 2 ||
		act.Janitor.Budget != cli.Janitor.Budget || act.Janitor.Budget != 3 ||
		!slices.Equal(act.Nodes.Endpoints, cli.Nodes.Endpoints) || len(act.Nodes.Endpoints) != 2 {
		t.Errorf("inputs gave %+v\nflags gave %+v", act, cli)
	}
	// Unset inputs leave run's defaults.
	var none runner.Options
	if err := runInputs(func(string) string { return "" }, &none); err != nil || none.Deploy.Env != nil || none.Ingress.Probe.Statuses != nil || none.Deploy.Retain || none.Ingress.Traefik.Insecure {
		t.Errorf("no inputs: %+v, %v", none, err)
	}
	for name, c := range map[string]struct{ input, value, want string }{
		"status not a number": {"probe-status", "200,ok", `input probe-status: "ok" is not a number`},
		"insecure not a bool": {"insecure", "yes please", `input insecure "yes please"`},
		"retain not a bool":   {"retain", "sometimes", `input retain "sometimes"`},
		"entrypoint no port":  {"entrypoint-port", "mumble", `input entrypoint-port: "mumble": want NAME=PORT`},
		"budget not a number": {"budget", "two", `input budget "two": want a number of slots`},
		"budget negative":     {"budget", "-1", `input budget "-1"`},
	} {
		t.Run(name, func(t *testing.T) {
			err := runInputs(func(k string) string {
				if k == c.input {
					return c.value
				}
				return ""
			}, &runner.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// In action mode, with no swarm needed: the env input reaches the run (an
// overlay that does not exist stops it before anything is deployed, exit
// 2), every input the action reads is declared in action.yml and every
// declared input but enrolling's (read only for an unenrolled recipe that
// ran) is read, and what the run wrote into the workspace belongs to the
// workspace's owner, folders made on the way included.
func TestActionInputsReachTheRun(t *testing.T) {
	ws := t.TempDir()
	const uid, gid = 4242, 4243
	root := os.Geteuid() == 0
	if root {
		if err := os.Chown(ws, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(ws, "reports", "recipe-test")
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws,
		"INPUT_RECIPE": filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"),
		"INPUT_OUT":    out, "INPUT_ENV": "COMPOSE_FILE=compose.yml:compose.missing.yml\n",
		"RECIPE_TEST_RECIPES": t.TempDir(),
	}
	read := map[string]bool{}
	getenv := func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read[strings.ToLower(name)] = true
		}
		return env[k]
	}
	var stdout, stderr bytes.Buffer
	cmd := newActionCmd()
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetContext(context.Background())
	err := runAction(cmd, getenv)
	if err == nil || exitCode(err) != exitConfig || !strings.Contains(err.Error(), "compose.missing.yml") {
		t.Fatalf("err %v (exit %d)\n%s%s", err, exitCode(err), stdout.String(), stderr.String())
	}
	declared := actionInputs(t)
	var undeclared, unread []string
	for name := range read {
		if !declared[name] {
			undeclared = append(undeclared, name)
		}
	}
	for name := range declared {
		if !read[name] && !strings.HasPrefix(name, "enroll") {
			unread = append(unread, name)
		}
	}
	sort.Strings(undeclared)
	sort.Strings(unread)
	if len(undeclared) > 0 || len(unread) > 0 {
		t.Errorf("read but not in action.yml: %v; in action.yml but never read: %v", undeclared, unread)
	}
	if _, err := os.Stat(filepath.Join(out, "results.json")); err != nil {
		t.Fatalf("no results written: %v", err)
	}
	if !root {
		t.Skip("not root: nothing to hand over")
	}
	for _, path := range []string{filepath.Join(ws, "reports"), out, filepath.Join(out, "results.json"), filepath.Join(out, "junit.xml")} {
		if u, g, _ := fileOwner(path); u != uid || g != gid {
			t.Errorf("%s belongs to %d:%d, want the workspace's %d:%d", path, u, g, uid, gid)
		}
	}
}

// Only what lies inside the workspace is handed over.
func TestGiveToWorkspaceOwnerStaysInside(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	ws, outside := t.TempDir(), t.TempDir()
	if err := os.Chown(ws, 4242, 4243); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(outside, "results.json"), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(ws, "mine"), []byte("x"), 0o644)
	// A checkout's symlinks to the outside, as the output folder or a
	// folder above it.
	if err := os.Symlink(outside, filepath.Join(ws, "linked")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(outside, "sub"), 0o755)
	os.WriteFile(filepath.Join(outside, "sub", "results.json"), []byte("{}"), 0o644)
	for _, out := range []string{outside, ws, filepath.Join(ws, ".."), filepath.Join(ws, "linked"), filepath.Join(ws, "linked", "sub")} {
		if err := giveToWorkspaceOwner(ws, out); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{filepath.Join(outside, "results.json"), filepath.Join(outside, "sub", "results.json"), filepath.Join(ws, "mine"), filepath.Dir(ws)} {
		if u, _, _ := fileOwner(path); u != 0 {
			t.Errorf("%s was handed over (uid %d)", path, u)
		}
	}
}

// sameEnv says whether two lists of --env assignments set the same
// variables to the same values, in order.
func sameEnv(t *testing.T, a, b []string) bool {
	t.Helper()
	parse := func(env []string) []recipe.EnvVar {
		f, err := recipe.ParseEnv("env", []byte(strings.Join(env, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		vars := f.Vars
		for i := range vars {
			vars[i].Line = 0 // where a variable stands differs, not what it says
		}
		return vars
	}
	va, vb := parse(a), parse(b)
	return len(va) > 0 && reflect.DeepEqual(va, vb)
}

// The env input is kept whole: a double-quoted value may span lines, and
// a syntax error names the input and its line.
func TestEnvInput(t *testing.T) {
	env, err := envInput("A=1\r\nMOTD=\"two\nlines\"\n")
	if err != nil || len(env) != 1 {
		t.Fatalf("env %q, %v", env, err)
	}
	f, err := recipe.ParseEnv("env", []byte(env[0]))
	if err != nil || len(f.Vars) != 2 || f.Vars[1].Value != "two\nlines" {
		t.Errorf("parsed %+v, %v", f, err)
	}
	if _, err := envInput("A=1\n\n# a comment\nnot an assignment\n"); err == nil || !strings.Contains(err.Error(), "input env:4") {
		t.Errorf("error %v, want it to name input env, line 4", err)
	}
	if env, err := envInput(" \n"); env != nil || err != nil {
		t.Errorf("blank input: %q, %v", env, err)
	}
}

// What the run wrote into a recipe checkout in the workspace (fetching a
// shallow checkout's tags writes into its .git) goes to the workspace's
// owner too; a file of anyone else's keeps its owner.
func TestActionHandsOverTheCheckoutsGit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	ws := t.TempDir()
	const uid, gid, other = 4242, 4243, 777
	if err := os.Chown(ws, uid, gid); err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(ws, "recipes", "example")
	if err := os.CopyFS(checkout, os.DirFS(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"))); err != nil {
		t.Fatal(err)
	}
	testenv.CommitAll(t, checkout, "example") // as root: a .git the runner's user could not touch
	theirs := filepath.Join(checkout, ".git", "hooks-of-another-user")
	if err := os.WriteFile(theirs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, other, other); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws, "INPUT_RECIPE": checkout,
		"INPUT_OUT": filepath.Join(ws, "out"), "INPUT_ENV": "COMPOSE_FILE=compose.missing.yml",
		"RECIPE_TEST_RECIPES": t.TempDir(),
	}
	var stdout bytes.Buffer
	cmd := newActionCmd()
	cmd.SetOut(&stdout)
	cmd.SetErr(&stdout)
	cmd.SetContext(context.Background())
	if err := runAction(cmd, func(k string) string { return env[k] }); exitCode(err) != exitConfig {
		t.Fatalf("err %v\n%s", err, stdout.String())
	}
	rootOwned := 0
	filepath.WalkDir(filepath.Join(checkout, ".git"), func(p string, _ fs.DirEntry, err error) error {
		if u, _, _ := fileOwner(p); err == nil && u == 0 {
			rootOwned++
		}
		return nil
	})
	if rootOwned > 0 {
		t.Errorf("%d entries of the checkout's .git still belong to root", rootOwned)
	}
	if u, _, _ := fileOwner(theirs); u != other {
		t.Errorf("%s changed hands (uid %d)", theirs, u)
	}
	if u, _, _ := fileOwner(filepath.Join(checkout, "compose.yml")); u != 0 {
		t.Errorf("the checkout's own files changed hands: they are no results")
	}
}

func TestCheckoutGitDir(t *testing.T) {
	ws := t.TempDir()
	os.MkdirAll(filepath.Join(ws, ".git"), 0o755)
	os.MkdirAll(filepath.Join(ws, "recipes", "a"), 0o755)
	os.MkdirAll(filepath.Join(ws, "recipes", "b", ".git"), 0o755)
	for recipe, want := range map[string]string{
		ws:                                   filepath.Join(ws, ".git"),
		filepath.Join(ws, "recipes", "a"):    filepath.Join(ws, ".git"),
		filepath.Join(ws, "recipes", "b"):    filepath.Join(ws, "recipes", "b", ".git"),
		"example":                            "", // an enrolled recipe's name
		"https://git.example.org/recipes/a":  "",
		filepath.Join(ws, "recipes", "none"): "",
	} {
		if got := checkoutGitDir(ws, recipe); got != want {
			t.Errorf("checkoutGitDir(%s) = %q, want %q", recipe, got, want)
		}
	}
	// Not above the workspace.
	inner := filepath.Join(ws, "inner")
	os.MkdirAll(inner, 0o755)
	if got := checkoutGitDir(inner, inner); got != "" {
		t.Errorf("looked above the workspace: %q", got)
	}
}

// The deployer input abra without its configuration is a usage error
// naming what is missing, before anything is planned.
func TestActionAbraDeployerNeedsServer(t *testing.T) {
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": t.TempDir(),
		"INPUT_RECIPE": filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", "example"),
		"INPUT_OUT":    t.TempDir(), "INPUT_DEPLOYER": "abra", "INPUT_ABRA": "/bin/true",
		"RECIPE_TEST_RECIPES": t.TempDir(),
	}
	var stdout bytes.Buffer
	cmd := newActionCmd()
	cmd.SetOut(&stdout)
	cmd.SetErr(&stdout)
	cmd.SetContext(context.Background())
	err := runAction(cmd, func(k string) string { return env[k] })
	if exitCode(err) != exitConfig || !strings.Contains(err.Error(), "input abra-server") {
		t.Fatalf("err %v (exit %d)\n%s", err, exitCode(err), stdout.String())
	}
}

// Runners evaluate no expression in action.yml's descriptions and refuse
// the file ("expressions are not allowed here", as act says): an
// example of a workflow's ${{ ... }} belongs in the README, not there.
func TestActionDescriptionsHaveNoExpressions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Description string `yaml:"description"`
		Inputs      map[string]struct {
			Description string `yaml:"description"`
		} `yaml:"inputs"`
		Outputs map[string]struct {
			Description string `yaml:"description"`
		} `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{"description": action.Description}
	for name, in := range action.Inputs {
		texts["input "+name] = in.Description
	}
	for name, out := range action.Outputs {
		texts["output "+name] = out.Description
	}
	for where, text := range texts {
		if strings.Contains(text, "${{") {
			t.Errorf("action.yml: the %s's description holds an expression: %q", where, text)
		}
	}
}
