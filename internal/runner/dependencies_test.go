package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/results"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// dependencyOptions runs the OIDC-protected fixture app, whose enrollment
// requires the OpenID provider fixture, found among recipesDir's
// enrollments (testdata/enrollments unless the test makes its own).
func dependencyOptions(t *testing.T, recipesDir string) Options {
	return Options{Source: Source{Recipe: fixture(t, "oidc-app"), Enrollment: filepath.Join(recipesDir, "oidc-app"), RecipesDir: recipesDir},
		Deploy: Deploy{Timeout: 2 * time.Minute}}
}

// noResidue checks, apart from the run's own inventory, that nothing of
// any stack the run deployed remains.
func noResidue(t *testing.T, res *results.Run) {
	t.Helper()
	stacks := []string{res.Stack}
	for _, d := range res.Dependencies {
		stacks = append(stacks, d.Stack)
	}
	for _, stack := range stacks {
		left, err := swarmtest.Residue(context.Background(), apiClient(t), stack)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Errorf("left of stack %s: %v", stack, left)
		}
	}
	if len(res.Residue) > 0 {
		t.Errorf("the run reports residue: %v", res.Residue)
	}
}

// The whole lifecycle with a dependency on the real swarm: the provider is
// deployed, made ready and set up (the app's client and a user registered
// through its admin CLI) before the app, which is wired with the client;
// the app installs, is backed up and restored with the provider up, and
// its own tests log in through the provider in Chromium; then the app and
// the provider are torn down, newest first, with nothing left.
func TestDependencyLifecycle(t *testing.T) {
	testenv.FixtureImage(t, "oidc-provider", "1")
	testenv.FixtureImage(t, "oidc-app", "1")
	dir := filepath.Join(testenv.RepoRoot(t), "testdata", "enrollments")
	res, progress := executeWithin(t, 12*time.Minute, dependencyOptions(t, dir))
	checkDependencyRun(t, res, progress)
}

// checkDependencyRun checks a passed run of the OIDC-protected fixture app
// with the provider as its dependency, however the provider was set up:
// every stage passed, the recipe's tests with them, the dependency up
// before the app and down after it, nothing left.
func checkDependencyRun(t *testing.T, res *results.Run, progress string) {
	t.Helper()
	if res.Status != results.Pass {
		t.Errorf("status %s: %s\n%s", res.Status, res.Error, progress)
	}
	for _, st := range []string{"lint", "install", "backup", "restore", "custom", "teardown"} {
		wantStage(t, res, st, results.Pass)
	}
	custom := stage(t, res, "custom")
	passed := map[string]bool{}
	for _, tc := range custom.Tests {
		passed[tc.Name] = tc.Status == results.Pass
		if tc.Status != results.Pass {
			t.Errorf("recipe test %s: %s %s\n%s", tc.Name, tc.Status, tc.Reason, tc.Output)
		}
	}
	for _, name := range []string{"TestDiscovery", "TestClientCredentials", "TestRefusesWithoutLogin", "TestLoginInBrowser"} {
		if !passed[name] {
			t.Errorf("recipe test %s did not pass (ran: %v)", name, passed)
		}
	}
	if len(res.Dependencies) != 1 {
		t.Fatalf("dependencies %+v", res.Dependencies)
	}
	d := res.Dependencies[0]
	if d.Name != "idp" || d.Recipe != "oidc-provider" || d.For != "app" || d.Of != "oidc-app" || d.Status != results.Pass ||
		d.Version != "1.0.0+1" || !strings.HasPrefix(d.Stack, "oid2-") || d.Stack == res.Stack || !strings.HasSuffix(d.Domain, res.Domain[strings.IndexByte(res.Domain, '.'):]) || d.Domain == res.Domain {
		t.Errorf("dependency %+v", d)
	}
	var names []string
	for _, st := range d.Stages {
		names = append(names, st.Name+":"+string(st.Status))
	}
	if got := strings.Join(names, " "); got != "install:pass setup:pass teardown:pass" {
		t.Errorf("dependency stages %s", got)
	}
	// oidc-provider and oidc-app share the abbreviation "oidc": the
	// dependency's domain takes another (oid2-<id>).
	// The provider was up before the app and down after it.
	for _, order := range [][2]string{
		{"\n[oidc-provider] [install] ready", "\n[install] start"},
		{"\n[oidc-provider] [setup] pass", "\n[install] start"},
		{"\n[teardown] pass", "\n[oidc-provider] [teardown] start"},
	} {
		i, j := strings.Index(progress, order[0]), strings.Index(progress, order[1])
		if i < 0 || j < 0 || i > j {
			t.Errorf("%q (at %d) should come before %q (at %d)", order[0], i, order[1], j)
		}
	}
	// The setup's outputs (the client's secret, the user's password) are
	// masked like generated secrets.
	if strings.Contains(progress, "password=") && !strings.Contains(progress, "password=***") {
		t.Errorf("a setup output shows in the progress")
	}
	noResidue(t, res)
}

// A dependency that never becomes ready fails the run with a dependency
// error, the app's stages never run, and nothing of either is left.
func TestDependencyNeverReady(t *testing.T) {
	testenv.FixtureImage(t, "oidc-provider", "1")
	testenv.FixtureImage(t, "oidc-app", "1")
	dir := copyEnrollments(t, "oidc-app", "oidc-provider")
	edit(t, filepath.Join(dir, "oidc-provider", "recipe.toml"), func(s string) string {
		s = strings.Replace(s, `path = "/.well-known/openid-configuration"`, `path = "/never-ready"`, 1)
		return s + "\n[timeouts]\ndeploy = \"15s\"\n"
	})
	res, progress := executeWithin(t, 5*time.Minute, dependencyOptions(t, dir))
	if res.Status != results.Fail || !strings.Contains(res.Error, "dependency oidc-provider failed at install: readiness") {
		t.Errorf("status %s error %q\n%s", res.Status, res.Error, progress)
	}
	for _, st := range []string{"install", "backup", "restore", "custom"} {
		wantStage(t, res, st, results.Skip, "not run: dependency oidc-provider failed")
	}
	if len(res.Dependencies) != 1 || res.Dependencies[0].Status != results.Fail || !strings.Contains(res.Dependencies[0].Error, "readiness") {
		t.Errorf("dependencies %+v", res.Dependencies)
	}
	noResidue(t, res)
}

// copyEnrollments copies testdata/enrollments/<name> folders into a fresh
// recipes folder, their recipe paths still pointing at testdata/recipes.
func copyEnrollments(t *testing.T, names ...string) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	dir := t.TempDir()
	for _, name := range names {
		src := filepath.Join(root, "testdata", "enrollments", name)
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if e.Name() == "recipe.toml" {
				data = []byte(strings.Replace(string(data), `path = "../../recipes/`, `path = "`+filepath.Join(root, "testdata", "recipes")+`/`, 1))
			}
			if err := os.WriteFile(filepath.Join(dir, name, e.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func edit(t *testing.T, file string, f func(string) string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(f(string(data))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Plan errors of [[requires]] stop the run before anything is deployed
// (no engine is even opened), as bad input naming the recipe.toml line.
func TestDependencyPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		edit       func(string) string
		want       string
	}{
		{"cycle", "oidc-provider", func(s string) string { return s + "\n[[requires]]\nname = \"oidc-app\"\n" },
			"oidc-provider/recipe.toml:17: requires[0].name: dependency cycle: oidc-app → oidc-provider → oidc-app"},
		{"unknown output", "oidc-app", func(s string) string {
			return strings.Replace(s, `{{ .Deps.idp.Outputs.client_id }}`, `{{ .Deps.idp.Outputs.clientid }}`, 1)
		}, "oidc-app/recipe.toml:27: requires[0].env.OIDC_CLIENT_ID: {{ .Deps.idp.Outputs.clientid }}: idp has no setup output clientid (it has: client_id, client_secret, username, password)"},
		{"unknown dependency", "oidc-app", func(s string) string {
			return strings.Replace(s, `{{ .Deps.idp.URL }}`, `{{ .Deps.keycloak.URL }}`, 1)
		}, "requires[0].env.OIDC_ISSUER: {{ .Deps.keycloak.URL }}: keycloak is not required here (required: idp)"},
		{"output used before its step", "oidc-app", func(s string) string {
			return strings.Replace(s, `run = "/oidc-provider admin user ada Ada Lovelace"`, `run = "/oidc-provider admin user {{ .Deps.idp.Outputs.password }}"`, 1)
		}, "requires[0].setup[1].run: {{ .Deps.idp.Outputs.password }}: idp has no setup output password (it has: client_id, client_secret)"},
		{"setup in a missing service", "oidc-app", func(s string) string {
			return strings.Replace(s, "service = \"app\"\nrun = \"/oidc-provider admin user", "service = \"web\"\nrun = \"/oidc-provider admin user", 1)
		}, "requires[0].setup[1].service: recipe oidc-provider has no service \"web\" (services: app)"},
		{"wired secret the app lacks", "oidc-app", func(s string) string {
			return strings.Replace(s, "client_secret = \"{{", "api_key = \"{{", 1)
		}, "requires[0].secrets.api_key: names secret \"api_key\", which recipe oidc-app does not have"},
		{"missing recipe", "oidc-app", func(s string) string {
			return strings.Replace(s, `name = "oidc-provider"`, `name = "keycloak"`, 1)
		}, "oidc-app/recipe.toml:22: requires[0].name: cannot use required recipe keycloak: keycloak is not an enrolled recipe (no "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyEnrollments(t, "oidc-app", "oidc-provider")
			edit(t, filepath.Join(dir, tc.file, "recipe.toml"), tc.edit)
			opts := dependencyOptions(t, dir)
			opts.Output.Dir = t.TempDir()
			opts.Janitor.LockDir = t.TempDir()
			opts.Deploy.Connect = func(context.Context, *slog.Logger) (Engine, error) {
				t.Error("an engine was opened: the plan should have stopped the run")
				return nil, errors.New("no engine in this test")
			}
			res, err := Execute(context.Background(), opts)
			var pe *PlanError
			if !errors.As(err, &pe) || !recipe.IsInputError(err) {
				t.Fatalf("err = %v, want a plan error of bad input", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if res == nil || len(res.Stages) != 0 {
				t.Errorf("stages ran: %+v", res)
			}
		})
	}
}

type fixedResolver netip.Addr

func (f fixedResolver) TaskAddress(context.Context, string) (netip.Addr, error) {
	return netip.Addr(f), nil
}

func (f fixedResolver) Subnets() []netip.Prefix {
	p, _ := netip.Addr(f).Prefix(16)
	return []netip.Prefix{p}
}

// From a container, each stack's tasks are found through the reach
// network of that stack, and a service of no stack of the run is refused.
func TestStackResolver(t *testing.T) {
	app, idp := netip.MustParseAddr("10.1.0.5"), netip.MustParseAddr("10.2.0.7")
	res := stackResolver{"oidc-abc123_t": fixedResolver(app), "oid2-abc123_t": fixedResolver(idp)}
	for svc, want := range map[string]netip.Addr{"oidc-abc123_t_app": app, "oid2-abc123_t_app": idp} {
		if got, err := res.TaskAddress(context.Background(), svc); err != nil || got != want {
			t.Errorf("TaskAddress(%s) = %v, %v; want %v", svc, got, err, want)
		}
	}
	if _, err := res.TaskAddress(context.Background(), "other_app"); err == nil || !strings.Contains(err.Error(), "no stack of this run") {
		t.Errorf("a service of another stack: err = %v", err)
	}
	// The ingress dials only inside the networks joined: both stacks'.
	if got := fmt.Sprint(res.Subnets()); got != "[10.2.0.0/16 10.1.0.0/16]" {
		t.Errorf("Subnets() = %s", got)
	}
}

// Every stack of a run gets a domain of its own, even when recipes share
// an abbreviation.
func TestFreeAbbrev(t *testing.T) {
	r := &Run{Recipe: &recipe.Recipe{Name: "oidc-app"}}
	var got []string
	for _, name := range []string{"oidc-provider", "postgres", "oidc-extra", "post"} {
		got = append(got, r.freeAbbrev(name))
	}
	if s := strings.Join(got, " "); s != "oid2 post oid3 pos2" {
		t.Errorf("abbreviations %s, want oid2 post oid3 pos2", s)
	}
}
