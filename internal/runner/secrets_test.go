package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// A recipe whose secrets are all generate=false installs with its
// recipe.toml supplying them by template, by random and by command: the
// deployed secrets (read inside the app's container) hold the supplied
// values, the command ran in a container of the app's image that is gone
// before the install ends, the recipe's tests see the same values, and no
// value reaches any output.
func TestSuppliedSecretsInstall(t *testing.T) {
	deployed := map[string]string{}
	var supplied map[string]string
	var leftovers []string
	var hookErr error
	out := t.TempDir()
	opts := Options{Source: Source{Recipe: fixture(t, "supplied-secrets"), Enrollment: enrollmentDir(t, "supplied-secrets")},
		Stages: []string{StageInstall, StageCustom},
		Output: Output{Dir: out}}
	var announced []string // what the action would mask in the CI log
	opts.Hooks.OnSecret = func(v string) { announced = append(announced, v) }
	observe := func(ctx context.Context, stage string, r *Run) {
		if stage != StageInstall {
			return
		}
		supplied = r.secrets.values
		svc, _ := r.App.Service("app")
		id, err := r.Engine.ServiceContainer(ctx, svc.FullName)
		if err != nil {
			hookErr = err
			return
		}
		for _, name := range []string{"api_key", "salt", "plc_key"} {
			res, err := swarmOf(t, r).Exec(ctx, id, []string{"/bin/busybox", "cat", "/run/secrets/" + name}, nil)
			if err != nil || res.ExitCode != 0 {
				hookErr = errors.Join(hookErr, err, errors.New(res.Output()))
				continue
			}
			deployed[name] = res.Stdout
		}
		list, err := apiOf(t, r).ContainerList(ctx, client.ContainerListOptions{All: true,
			Filters: make(client.Filters).Add("name", r.App.Stack+"_recipe-test-secret")})
		if err != nil {
			hookErr = errors.Join(hookErr, err)
		}
		for _, c := range list.Items {
			leftovers = append(leftovers, strings.Join(c.Names, ","))
		}
	}
	res, progress := execute(t, opts, observe)
	if res.Status != results.Pass || hookErr != nil {
		t.Fatalf("status %s (%v) stages %+v\n%s", res.Status, hookErr, res.Stages, progress)
	}
	if len(leftovers) > 0 {
		t.Errorf("the command's container is still there after the install: %v", leftovers)
	}
	if want := "key-" + res.RunID + "-supplied-secrets"; deployed["api_key"] != want {
		t.Errorf("api_key deployed %q, want %q", deployed["api_key"], want)
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(deployed["salt"]) {
		t.Errorf("salt deployed %q, want 40 hex digits", deployed["salt"])
	}
	// The command's output: its container's host name, 12 hex digits of
	// its ID, never the runner host's name.
	host, _ := os.Hostname()
	if v := deployed["plc_key"]; !regexp.MustCompile(`^plc-[0-9a-f]{12}$`).MatchString(v) || v == "plc-"+host {
		t.Errorf("plc_key deployed %q, want plc-<container id>", v)
	}
	for name, v := range deployed {
		if supplied[name] != v {
			t.Errorf("secret %s: deployed %q, supplied %q", name, v, supplied[name])
		}
		if !slices.Contains(announced, v) {
			t.Errorf("secret %s was not announced to OnSecret", name)
		}
	}
	// The recipe's tests see the same values (env.Secret) as the app.
	custom := wantStage(t, res, "custom", results.Pass)
	if len(custom.Tests) != 2 {
		t.Errorf("custom tests %+v", custom.Tests)
	}
	install := wantStage(t, res, "install", results.Pass)
	if !strings.Contains(install.Output, "secret plc_key: running") || !strings.Contains(install.Output, "throwaway container of image recipe-test-fixtures/webapp:1") {
		t.Errorf("install output:\n%s", install.Output)
	}
	// Masked like generated secrets: in the progress and every output file.
	files := []string{progress}
	for _, f := range []string{"results.json", "junit.xml", "report.md"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, string(data))
	}
	for name, v := range deployed {
		for i, text := range files {
			if v != "" && strings.Contains(text, strings.TrimSpace(v)) {
				t.Errorf("the value of secret %s appears in output %d", name, i)
			}
		}
	}
}

// Without recipe.toml supplying them, the generate=false secrets stop the
// run at its plan (exit 2, nothing deployed); the error names them and
// shows the lines that would supply them. A supply for a secret the recipe
// lacks, or a value that would hide a fact of the run, is bad input too.
func TestSuppliedSecretsPlanErrors(t *testing.T) {
	dir := fixture(t, "supplied-secrets")
	for name, tc := range map[string]struct {
		enrollment string
		want       []string
	}{
		"no enrollment": {"", []string{".env.sample:14", "SECRET_API_KEY_VERSION", "secrets api_key, plc_key, salt are marked generate=false",
			"recipes/supplied-secrets/recipe.toml", "[secrets.api_key]\nrandom = { length = 32 }", "[secrets.salt]\nrandom = { length = 40, charset = \"hex\" }", "# command = ["}},
		"one missing": {"[secrets.api_key]\nvalue = \"k-{{.RunID}}-x\"\n[secrets.salt]\nrandom = { length = 40 }\n",
			[]string{"secret plc_key is marked", "[secrets.plc_key]"}},
		"unknown secret": {"[secrets.api_key]\nvalue = \"abcd\"\n[secrets.salt]\nvalue = \"abcd\"\n[secrets.plc_key]\nvalue = \"abcd\"\n[secrets.nope]\nvalue = \"abcd\"\n",
			[]string{"secrets.nope", `names secret "nope"`, "its secrets: api_key, plc_key, salt"}},
		"fact": {"[secrets.api_key]\nvalue = \"{{.Recipe}}\"\n[secrets.salt]\nvalue = \"abcd\"\n[secrets.plc_key]\nvalue = \"abcd\"\n",
			[]string{"secrets.api_key.value", "renders to a part of the run's "}},
		"short": {"[secrets.api_key]\nrandom = { length = 3 }\n[secrets.salt]\nvalue = \"abcd\"\n[secrets.plc_key]\nvalue = \"abcd\"\n",
			[]string{"secrets.api_key.random", "3 characters"}},
		"command service": {"[secrets.api_key]\nvalue = \"abcd\"\n[secrets.salt]\nvalue = \"abcd\"\n[secrets.plc_key]\ncommand = [\"/x\"]\nservice = \"db\"\n",
			[]string{"secrets.plc_key.service", `"db"`, "services: app"}},
	} {
		t.Run(name, func(t *testing.T) {
			opts := Options{Source: Source{Recipe: dir, RecipesDir: t.TempDir()},
				Ingress: Ingress{DomainSuffix: suffix},
				Janitor: Janitor{Off: true, LockDir: t.TempDir()},
				Output:  Output{Dir: t.TempDir()}}
			if tc.enrollment != "" {
				opts.Source.Enrollment = writeEnrollment(t, tc.enrollment)
			}
			res, err := Execute(context.Background(), opts)
			var pe *PlanError
			if !errors.As(err, &pe) || !recipe.IsInputError(err) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if len(res.Stages) != 0 {
				t.Errorf("stages ran: %+v", res.Stages)
			}
		})
	}
}

// A secret command that fails fails the install before anything is
// deployed, with its exit code and standard error; its container is gone
// and teardown leaves nothing (execute checks the residue).
func TestSuppliedSecretCommandFails(t *testing.T) {
	en := writeEnrollment(t, `[recipe]
path = "`+fixture(t, "supplied-secrets")+`"
[secrets.api_key]
value = "key-{{.RunID}}"
[secrets.salt]
random = { length = 40, charset = "hex" }
[secrets.plc_key]
command = ["/bin/busybox", "sh", "-c", "echo made-half >&2; echo no key here >&2; exit 3"]
`)
	res, progress := execute(t, Options{Source: Source{Recipe: fixture(t, "supplied-secrets"), Enrollment: en},
		Stages: []string{StageInstall}})
	if res.Status != results.Fail || res.Level != 0 {
		t.Fatalf("status %s level %d\n%s", res.Status, res.Level, progress)
	}
	wantStage(t, res, "install", results.Fail, "secrets.plc_key.command exited 3", "made-half\nno key here")
	if strings.Contains(progress, "service "+res.Stack+"_app created") {
		t.Errorf("the app was deployed although its secret could not be made:\n%s", progress)
	}
	if td := stage(t, res, "teardown"); td.Status != results.Pass {
		t.Errorf("teardown %+v", td)
	}
}

// The upgrade deploys the base release too: a generate=false secret that
// only the base release has needs supplying as well, or the run stops at
// its plan naming it.
func TestSuppliedSecretsOfTheBaseRelease(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture(t, "upgrade"))); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "1.0.0+1.0")
	edit := func(file string, f func(string) string) {
		data, err := os.ReadFile(filepath.Join(base, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, file), []byte(f(string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit(".env.sample", func(s string) string { return s + "\nSECRET_OLD_KEY_VERSION=v1 # generate=false\n" })
	edit("compose.yml", func(s string) string {
		s = strings.Replace(s, "    image: recipe-test-fixtures/webapp:1\n", "    image: recipe-test-fixtures/webapp:1\n    secrets:\n      - old_key\n", 1)
		return s + "\nsecrets:\n  old_key:\n    external: true\n    name: ${STACK_NAME}_old_key_${SECRET_OLD_KEY_VERSION}\n"
	})
	repo := testenv.TaggedRecipe(t, dir)
	res, err := Execute(context.Background(), Options{Source: Source{Recipe: repo, RecipesDir: t.TempDir()},
		Stages:  []string{StageUpgrade},
		Ingress: Ingress{DomainSuffix: suffix},
		Janitor: Janitor{Off: true, LockDir: t.TempDir()},
		Output:  Output{Dir: t.TempDir()}})
	var pe *PlanError
	if !errors.As(err, &pe) || !recipe.IsInputError(err) || !strings.Contains(err.Error(), "secret old_key (of release 1.0.0+1.0, which the upgrade starts from) is marked generate=false") ||
		!strings.Contains(err.Error(), "[secrets.old_key]") {
		t.Fatalf("err = %v", err)
	}
	if len(res.Stages) != 0 {
		t.Errorf("stages ran: %+v", res.Stages)
	}
}
