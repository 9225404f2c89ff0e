package runner

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// ssoOptions runs the OIDC-protected fixture app enrolled as oidc-app-api:
// its provider set up by a [requires.sso] block, through the provider's
// admin API, instead of exec steps.
func ssoOptions(t *testing.T, recipesDir string) Options {
	opts := dependencyOptions(t, recipesDir)
	opts.Source.Enrollment = filepath.Join(recipesDir, "oidc-app-api")
	return opts
}

// The lifecycle of TestDependencyLifecycle with the provider set up
// through its admin API on the real swarm: the fixture backend reaches
// the provider through the dependency's own ingress with the token its
// recipe generated, makes the app's client and a user with a made
// password, and the app is wired with them; the same recipe tests pass
// (the login in Chromium with the made password included), the client's
// secret and the password are masked, and nothing is left.
func TestDependencySSOSetup(t *testing.T) {
	testenv.FixtureImage(t, "oidc-provider", "1")
	testenv.FixtureImage(t, "oidc-app", "1")
	dir := filepath.Join(testenv.RepoRoot(t), "testdata", "enrollments")
	opts := ssoOptions(t, dir)
	var mu sync.Mutex
	announced := map[string]bool{}
	opts.Hooks.OnSecret = func(v string) {
		mu.Lock()
		defer mu.Unlock()
		announced[v] = true
	}
	var outputs map[string]string
	var wired, depURL string
	var masked []string
	observe := func(_ context.Context, stage string, r *Run) {
		if stage != StageInstall || len(r.deps) != 1 {
			return
		}
		d := r.deps[0]
		outputs, depURL = d.facts.Outputs, d.facts.URL
		wired = r.App.Env["OIDC_CLIENT_ID"] + " " + r.App.Env["OIDC_ISSUER"]
		for _, name := range []string{"client_secret", "password"} {
			masked = append(masked, r.Redact.String("<"+outputs[name]+">"))
		}
	}
	res, progress := executeWithin(t, 12*time.Minute, opts, observe)
	checkDependencyRun(t, res, progress)

	if outputs == nil {
		t.Fatal("the app's install stage was not observed")
	}
	if outputs["issuer"] != depURL || outputs["realm"] != "oidc-app" || outputs["client_id"] != "oidc-app" ||
		outputs["username"] != "ada" || len(outputs["password"]) != 24 || len(outputs["client_secret"]) < minMask {
		t.Errorf("the SSO block's outputs %v (the provider at %s)", outputs, depURL)
	}
	if wired != "oidc-app "+depURL {
		t.Errorf("the app was wired with %q, want the SSO block's client and issuer", wired)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, name := range []string{"client_secret", "password"} {
		v := outputs[name]
		if masked[i] != "<***>" || !announced[v] || (v != "" && strings.Contains(progress, v)) {
			t.Errorf("output %s: redacted as %q, announced to OnSecret: %t, in the progress: %t", name, masked[i], announced[v], strings.Contains(progress, v))
		}
	}
	setup := res.Dependencies[0].Stages[1]
	if setup.Name != setupStage || !strings.Contains(setup.Note, "idp: requires[0].sso: fixture realm oidc-app, client oidc-app, 1 users") {
		t.Errorf("setup stage %+v", setup)
	}
}

// Plan errors of a [requires.sso] block stop the run before anything is
// deployed, as bad input naming the recipe.toml line.
func TestSSOSetupPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(string) string
		want string
	}{
		{"unknown backend", func(s string) string { return strings.Replace(s, `backend = "fixture"`, `backend = "zitadel"`, 1) },
			`oidc-app-api/recipe.toml:34: requires[0].sso.backend: "zitadel" is not an SSO backend (backends: keycloak, authentik, fixture)`},
		{"credential of another backend", func(s string) string { return strings.Replace(s, `backend = "fixture"`, `backend = "keycloak"`, 1) },
			`oidc-app-api/recipe.toml:33: requires[0].sso: backend keycloak needs admin_password`},
		{"unknown key", func(s string) string { return strings.Replace(s, `realm = "oidc-app"`, `tenant = "oidc-app"`, 1) },
			`oidc-app-api/recipe.toml:36: requires.sso.tenant: unknown key (known here: backend, url, admin_user, admin_password, token, realm, client, users)`},
		{"unknown key of a user", func(s string) string { return strings.Replace(s, `given_name = "Ada"`, `first_name = "Ada"`, 1) },
			`oidc-app-api/recipe.toml:46: requires.sso.users.first_name: unknown key (known here: username, password, email, given_name, family_name)`},
		{"unknown secret", func(s string) string { return strings.Replace(s, `Secrets.admin_token`, `Secrets.admin_tokn`, 1) },
			`oidc-app-api/recipe.toml:35: requires[0].sso.token: {{ .Deps.idp.Secrets.admin_tokn }}: idp has no secret admin_tokn (it has: admin_token)`},
		{"unknown output", func(s string) string { return strings.Replace(s, `Outputs.client_id`, `Outputs.clientid`, 1) },
			`oidc-app-api/recipe.toml:26: requires[0].env.OIDC_CLIENT_ID: {{ .Deps.idp.Outputs.clientid }}: idp has no setup output clientid (it has: issuer, realm, client_id, client_secret, username, password)`},
		{"its own output", func(s string) string {
			return strings.Replace(s, `id = "oidc-app"`, `id = "{{ .Deps.idp.Outputs.client_id }}"`, 1)
		}, `oidc-app-api/recipe.toml:39: requires[0].sso.client.id: {{ .Deps.idp.Outputs.client_id }}: idp has no setup output client_id (it has: none)`},
		{"a public client has no secret to wire", func(s string) string {
			return strings.Replace(s, `id = "oidc-app"`, "id = \"oidc-app\"\npublic = true", 1)
		},
			`requires[0].secrets.client_secret: {{ .Deps.idp.Outputs.client_secret }}: idp has no setup output client_secret (it has: issuer, realm, client_id, username, password)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyEnrollments(t, "oidc-app-api", "oidc-provider")
			edit(t, filepath.Join(dir, "oidc-app-api", "recipe.toml"), tc.edit)
			opts := ssoOptions(t, dir)
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
