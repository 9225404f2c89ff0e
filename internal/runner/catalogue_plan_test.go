package runner

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/internal/deps"
	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// Enrollments whose apps cannot be built or pulled here are proven as far
// as a plan goes: recipes/lasuite-docs requires recipes/keycloak, and a
// run of their fixture copies (testdata/recipes/*-upstream) must pass its
// whole plan (both recipes loaded and resolved with their enrollments,
// the dependency's domain and stack, the [[requires]] wiring and setup
// templates checked against what Keycloak will have, the wired and
// supplied secrets, the hooks and probes) and stop only where the engine
// is opened, with the engine's error.

// catalogueEnrollments copies recipes/<name> folders into a fresh recipes
// folder, each enrollment's [recipe] upstream replaced by its fixture copy
// testdata/recipes/<name>-upstream, as a run on a runner that can clone
// git.coopcloud.tech would find them.
func catalogueEnrollments(t *testing.T, names ...string) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	dir := t.TempDir()
	for _, name := range names {
		dst := filepath.Join(dir, name)
		if err := os.CopyFS(dst, os.DirFS(filepath.Join(root, "recipes", name))); err != nil {
			t.Fatal(err)
		}
		upstream := `upstream = "https://git.coopcloud.tech/coop-cloud/` + name + `.git"`
		edit(t, filepath.Join(dst, enrollment.FileName), func(s string) string {
			if !strings.Contains(s, upstream) {
				t.Fatalf("recipes/%s/recipe.toml lacks %s", name, upstream)
			}
			return strings.Replace(s, upstream, `path = "`+fixture(t, name+"-upstream")+`"`, 1)
		})
	}
	return dir
}

func TestCataloguePlanKeycloakDocs(t *testing.T) {
	dir := catalogueEnrollments(t, "lasuite-docs", "keycloak")
	noEngine := errors.New("no engine in this test: the plan is complete")
	plan := func(t *testing.T, name string) (string, []string, error) {
		var progress bytes.Buffer
		var secrets []string
		opts := Options{Source: Source{Recipe: fixture(t, name+"-upstream"), Enrollment: filepath.Join(dir, name), RecipesDir: dir}}
		opts.Ingress.DomainSuffix = suffix
		opts.Output.Dir = t.TempDir()
		opts.Output.Progress = &progress
		opts.Janitor.LockDir = t.TempDir()
		opts.Hooks.OnSecret = func(v string) { secrets = append(secrets, v) }
		opts.Deploy.Connect = func(context.Context, *slog.Logger) (Engine, error) { return nil, noEngine }
		res, err := Execute(context.Background(), opts)
		if res == nil || res.Recipe != name || len(res.Stages) != 0 {
			t.Errorf("results %+v", res)
		}
		return progress.String(), secrets, err
	}

	t.Run("lasuite-docs with keycloak", func(t *testing.T) {
		progress, secrets, err := plan(t, "lasuite-docs")
		if !errors.Is(err, noEngine) {
			t.Fatalf("err = %v, want the engine's error (the plan passed)\n%s", err, progress)
		}
		for _, want := range []string{"plan: recipe lasuite-docs, domain lasu-", "plan: dependency keycloak (10.3.0+26.6.1, for the app of lasuite-docs): domain keyc-"} {
			if !strings.Contains(progress, want) {
				t.Errorf("progress lacks %q:\n%s", want, progress)
			}
		}
		// The supplied s3_secret_key (recipe.toml's [secrets]) is made at
		// plan time and masked.
		if len(secrets) == 0 {
			t.Errorf("no supplied secret was announced for masking\n%s", progress)
		}
	})

	t.Run("keycloak alone", func(t *testing.T) {
		progress, _, err := plan(t, "keycloak")
		if !errors.Is(err, noEngine) {
			t.Fatalf("err = %v, want the engine's error (the plan passed)\n%s", err, progress)
		}
	})

	// A wiring mistake in the copy is still caught: the check is real.
	t.Run("a setup output nobody prints", func(t *testing.T) {
		bad := catalogueEnrollments(t, "lasuite-docs", "keycloak")
		edit(t, filepath.Join(bad, "lasuite-docs", enrollment.FileName), func(s string) string {
			return strings.Replace(s, "Outputs.client_secret", "Outputs.secret", 1)
		})
		opts := Options{Source: Source{Recipe: fixture(t, "lasuite-docs-upstream"), Enrollment: filepath.Join(bad, "lasuite-docs"), RecipesDir: bad}}
		opts.Output.Dir, opts.Janitor.LockDir = t.TempDir(), t.TempDir()
		opts.Deploy.Connect = func(context.Context, *slog.Logger) (Engine, error) {
			t.Error("an engine was opened: the plan should have stopped the run")
			return nil, noEngine
		}
		_, err := Execute(context.Background(), opts)
		if !recipe.IsInputError(err) || !strings.Contains(err.Error(), "requires[0].secrets.oidc_secret: {{ .Deps.kc.Outputs.secret }}: kc has no setup output secret") {
			t.Errorf("err = %v", err)
		}
	})
}

// The setup steps and data hooks of both enrollments render to shell that
// parses (bash -n for Keycloak's image, whose sh is bash; sh -n for the
// hooks), and the Python of lasuite-docs' hooks, as the shell hands it to
// manage.py shell -c, parses too.
func TestCatalogueKeycloakDocsScripts(t *testing.T) {
	root := testenv.RepoRoot(t)
	docs, err := enrollment.Load(filepath.Join(root, "recipes", "lasuite-docs"))
	if err != nil {
		t.Fatal(err)
	}
	kc, err := enrollment.Load(filepath.Join(root, "recipes", "keycloak"))
	if err != nil {
		t.Fatal(err)
	}
	q := docs.Requires[0]
	data := checkKeycloakSetup(t, docs, "docs")
	for k, v := range q.Env {
		got, err := render(docs.File, docs.Lines(), k, v, data)
		if err != nil {
			t.Fatal(err)
		}
		if k != "OIDC_RP_CLIENT_ID" && !strings.HasPrefix(got, "https://keyc-abc123.recipe-test.test/realms/docs/protocol/openid-connect/") {
			t.Errorf("%s = %q", k, got)
		}
	}
	for _, e := range []*enrollment.Enrollment{docs, kc} {
		for _, h := range []string{e.Hooks.Seed, e.Hooks.Mutate, e.Hooks.Verify} {
			syntax(t, "sh", h)
		}
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Logf("no python3 here: the Python of lasuite-docs' hooks is not parsed")
		return
	}
	for _, h := range []string{docs.Hooks.Seed, docs.Hooks.Mutate, docs.Hooks.Verify} {
		// python manage.py shell -c CODE: a stand-in python parses CODE.
		stub := "python() { shift 3; " + py + ` -c 'import ast, sys; ast.parse(sys.argv[1])' "$1"; }; ` + h
		if out, err := exec.Command("sh", "-c", stub).CombinedOutput(); err != nil {
			t.Errorf("the Python of %q does not parse: %v\n%s", h, err, out)
		}
	}
}

// syntax fails the test when shell cannot parse script.
func syntax(t *testing.T, shell, script string) {
	t.Helper()
	cmd := exec.Command(shell, "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s -n: %v\n%s\n%s", shell, err, out, script)
	}
}

// Every enrolled recipe with a fixture copy of its upstream recipe plans
// completely against it (its enrollment, requirements, secrets, hooks,
// probes and policy all check out) and stops only where the engine is
// opened: the floor an unverified suite is held to until a runner that can
// pull its images runs it.
func TestCataloguePlans(t *testing.T) {
	root := testenv.RepoRoot(t)
	es, err := enrollment.List(filepath.Join(root, "recipes"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		if _, err := os.Stat(fixture(t, e.Name()+"-upstream")); err == nil {
			names = append(names, e.Name())
		}
	}
	if len(names) < 8 {
		t.Fatalf("only %d enrolled recipes with a fixture copy: %v", len(names), names)
	}
	dir := catalogueEnrollments(t, names...)
	noEngine := errors.New("no engine in this test: the plan is complete")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			var progress bytes.Buffer
			opts := Options{Source: Source{Recipe: fixture(t, name+"-upstream"), Enrollment: filepath.Join(dir, name), RecipesDir: dir}}
			opts.Ingress.DomainSuffix = suffix
			opts.Output.Dir = t.TempDir()
			opts.Output.Progress = &progress
			opts.Janitor.LockDir = t.TempDir()
			opts.Deploy.Connect = func(context.Context, *slog.Logger) (Engine, error) { return nil, noEngine }
			res, err := Execute(context.Background(), opts)
			if !errors.Is(err, noEngine) {
				t.Fatalf("err = %v, want the engine's error (the plan passed)\n%s", err, progress.String())
			}
			if res == nil || res.Recipe != name {
				t.Errorf("results %+v", res)
			}
		})
	}
}

// The other La Suite enrollments that require Keycloak (recipes/lasuite-drive
// with its own MinIO, recipes/lasuite-meet with its LiveKit server) are
// proven the same way: the whole plan of a run of their fixture copies with
// Keycloak passes and stops where the engine is opened; their setup steps
// render to shell that parses and print their outputs, and their hooks
// parse (the Python too, where python3 is here).
func TestCataloguePlanLaSuite(t *testing.T) {
	for _, name := range []string{"lasuite-drive", "lasuite-meet"} {
		t.Run(name, func(t *testing.T) {
			dir := catalogueEnrollments(t, name, "keycloak")
			noEngine := errors.New("no engine in this test: the plan is complete")
			var progress bytes.Buffer
			opts := Options{Source: Source{Recipe: fixture(t, name+"-upstream"), Enrollment: filepath.Join(dir, name), RecipesDir: dir}}
			opts.Ingress.DomainSuffix = suffix
			opts.Output.Dir = t.TempDir()
			opts.Output.Progress = &progress
			opts.Janitor.LockDir = t.TempDir()
			opts.Deploy.Connect = func(context.Context, *slog.Logger) (Engine, error) { return nil, noEngine }
			res, err := Execute(context.Background(), opts)
			if !errors.Is(err, noEngine) {
				t.Fatalf("err = %v, want the engine's error (the plan passed)\n%s", err, progress.String())
			}
			if res == nil || res.Recipe != name || len(res.Stages) != 0 {
				t.Errorf("results %+v", res)
			}
			for _, want := range []string{"plan: recipe " + name + ", domain lasu-", "plan: dependency keycloak (10.3.0+26.6.1, for the app of " + name + "): domain keyc-"} {
				if !strings.Contains(progress.String(), want) {
					t.Errorf("progress lacks %q:\n%s", want, progress.String())
				}
			}
		})
		t.Run(name+" scripts", func(t *testing.T) {
			e, err := enrollment.Load(filepath.Join(testenv.RepoRoot(t), "recipes", name))
			if err != nil {
				t.Fatal(err)
			}
			checkKeycloakSetup(t, e, "c")
			hooks := []string{e.Hooks.Seed, e.Hooks.Mutate, e.Hooks.Verify}
			for _, h := range hooks {
				syntax(t, "sh", h)
			}
			py, err := exec.LookPath("python3")
			if err != nil {
				t.Logf("no python3 here: the Python of the hooks is not parsed")
				return
			}
			for _, h := range hooks {
				if !strings.HasPrefix(h, "python manage.py shell -c ") {
					continue
				}
				stub := "python() { shift 3; " + py + ` -c 'import ast, sys; ast.parse(sys.argv[1])' "$1"; }; ` + h
				if out, err := exec.Command("sh", "-c", stub).CombinedOutput(); err != nil {
					t.Errorf("the Python of %q does not parse: %v\n%s", h, err, out)
				}
			}
		})
	}
}

// checkKeycloakSetup checks a La Suite enrollment's requirement of
// keycloak: one, with two setup steps, each rendering to a script bash
// parses that prints every output it declares, the first registering the
// app's redirect URI. It returns the wiring data it rendered them with
// (the keycloak client's id is clientID).
func checkKeycloakSetup(t *testing.T, e *enrollment.Enrollment, clientID string) wiringData {
	t.Helper()
	if len(e.Requires) != 1 || e.Requires[0].Name != "keycloak" || len(e.Requires[0].Setup) != 2 {
		t.Fatalf("requires %+v", e.Requires)
	}
	data := wiringData{runFacts{Domain: "lasu-abc123.recipe-test.test", Stack: "lasu-abc123_recipe-test_test", RunID: "abc123", Recipe: e.Name(), Scheme: "https"},
		map[string]deps.Facts{"kc": {Domain: "keyc-abc123.recipe-test.test", URL: "https://keyc-abc123.recipe-test.test",
			Env: map[string]string{"ADMIN_USERNAME": "admin"}, Outputs: map[string]string{"client_id": clientID, "client_secret": "s3cr3t-value"}}}}
	for i, st := range e.Requires[0].Setup {
		script, err := render(e.File, e.Lines(), "setup", st.Run, data)
		if err != nil {
			t.Fatal(err)
		}
		syntax(t, "bash", script)
		for _, out := range st.Outputs {
			if !strings.Contains(script, "echo "+out+"=") && !strings.Contains(script, `echo "`+out+"=") {
				t.Errorf("setup[%d] prints no %s= line", i, out)
			}
		}
		if i == 0 && !strings.Contains(script, `redirectUris=["https://lasu-abc123.recipe-test.test/*"]`) {
			t.Errorf("setup[0] of %s does not register the app's redirect URI:\n%s", e.Name(), script)
		}
	}
	return data
}
