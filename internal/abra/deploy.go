package abra

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/moby/client"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// Deploy deploys app with abra, as an operator does: the recipe under test
// is put in the private ABRA_DIR's recipes folder, `abra app new` creates
// the app on the server context (once), its env file is set to the run's
// env, the secrets are made (`abra app secret insert` for the values the
// run supplies or made before, `abra app secret generate` for the rest),
// and `abra app deploy --chaos` deploys the working copy, its confirmation
// answered. Convergence is left to Converge (the swarm client's, with its
// diagnosis). The Deployment holds the secrets' values: supplied ones and
// those abra printed when it generated them.
func (d *Deployer) Deploy(ctx context.Context, app *recipe.App, opts swarm.DeployOptions) (*swarm.Deployment, error) {
	progress := progressOr(opts.Progress, d.log)
	d.mu.Lock()
	d.progress = opts.Progress
	d.mu.Unlock()
	for _, v := range opts.Secrets {
		d.r.red.Add(v)
	}
	a, err := d.prepare(ctx, app, opts, progress)
	if err != nil {
		return nil, err
	}
	out := &swarm.Deployment{Stack: app.Stack, Secrets: map[string]string{}}
	for _, s := range app.Services {
		out.Services = append(out.Services, s.FullName)
	}
	slices.Sort(out.Services)
	if err := d.secrets(ctx, app, a, opts.Secrets, out.Secrets, progress); err != nil {
		return out, fmt.Errorf("deploy %s with abra: %w", app.Stack, err)
	}
	// --chaos: the working copy under test, not a published version.
	// --no-domain-checks: the run's domain is not in DNS. Convergence is
	// recipe-test's own (Converge), with its diagnosis of what failed.
	if _, err := d.r.run(ctx, progress, []string{"app", "deploy", a.domain, "--chaos", "--no-domain-checks", "--no-converge-checks"},
		yes("Continue with deployment\\?")); err != nil {
		return out, fmt.Errorf("deploy %s with abra: %w", app.Stack, err)
	}
	return out, nil
}

// prepare puts app's recipe into ABRA_DIR, creates the app when abra does
// not know it yet, and writes its env file.
func (d *Deployer) prepare(ctx context.Context, app *recipe.App, opts swarm.DeployOptions, progress func(string)) (*appState, error) {
	dst := filepath.Join(d.r.dir, "recipes", app.Recipe)
	if err := os.RemoveAll(dst); err != nil {
		return nil, fmt.Errorf("abra: %w", err)
	}
	if err := copyRecipe(app.Dir, dst); err != nil {
		return nil, fmt.Errorf("abra: copy recipe %s into ABRA_DIR: %w", app.Recipe, err)
	}
	if err := writeOverlay(filepath.Join(dst, OverlayFile), app, opts); err != nil {
		return nil, fmt.Errorf("abra: %w", err)
	}
	a := d.app(app.Stack)
	if a == nil {
		a = &appState{domain: app.Domain, recipe: app.Recipe, server: d.r.cfg.Server}
		if _, err := d.r.run(ctx, progress, []string{"app", "new", app.Recipe, "--server", a.server, "--domain", a.domain, "--chaos"}); err != nil {
			return nil, fmt.Errorf("create app %s with abra: %w", app.Domain, err)
		}
		d.setApp(app.Stack, a)
	}
	env, err := envFile(app)
	if err != nil {
		return nil, err
	}
	// What `abra app config` would have the operator edit: .env.sample
	// with the run's assignments, as the swarm deployer deploys it.
	if err := os.WriteFile(a.envFile(d.r.dir), env, 0o600); err != nil {
		return nil, fmt.Errorf("abra: write the env file of %s: %w", app.Domain, err)
	}
	return a, nil
}

// secrets makes the app's external secrets that do not exist yet: values
// known (supplied, or from an earlier deploy) are inserted, the others
// generated. On a first deploy, when every generated secret is missing,
// one `abra app secret generate --all` makes them, as an operator does.
func (d *Deployer) secrets(ctx context.Context, app *recipe.App, a *appState, given, values map[string]string, progress func(string)) error {
	existing, err := d.secretNames(ctx, app.Stack)
	if err != nil {
		return err
	}
	var generate []recipe.Secret
	allMissing := true
	for _, s := range app.Secrets {
		if !s.External {
			continue
		}
		v, known := given[s.FullName]
		if known {
			values[s.FullName] = v
		}
		switch {
		case existing[s.FullName]:
			allMissing = allMissing && !s.Generate
			progress(fmt.Sprintf("secret %s exists: reused", s.FullName))
		case known:
			allMissing = allMissing && !s.Generate
			if err := d.insert(ctx, a, s, v, progress); err != nil {
				return err
			}
		case !s.Generate:
			return fmt.Errorf("secret %s (%s): generate=false and no value was supplied", s.FullName, s.Name)
		default:
			generate = append(generate, s)
		}
	}
	if len(generate) == 0 {
		return nil
	}
	if allMissing {
		return d.generate(ctx, a, app, []string{"app", "secret", "generate", a.domain, "--all"}, values, progress)
	}
	for _, s := range generate {
		if err := d.generate(ctx, a, app, []string{"app", "secret", "generate", a.domain, s.Name, s.Version}, values, progress); err != nil {
			return err
		}
	}
	return nil
}

// insert stores a known value with `abra app secret insert --file`, from a
// file in the private ABRA_DIR, so that it is never on a command line.
func (d *Deployer) insert(ctx context.Context, a *appState, s recipe.Secret, value string, progress func(string)) error {
	f, err := os.CreateTemp(d.r.dir, "secret-")
	if err != nil {
		return fmt.Errorf("secret %s: %w", s.FullName, err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(value)
	if err := f.Close(); werr != nil || err != nil {
		return fmt.Errorf("secret %s: write: %v %v", s.FullName, werr, err)
	}
	_, err = d.r.run(ctx, progress, []string{"app", "secret", "insert", a.domain, s.Name, s.Version, f.Name(), "--file"})
	return err
}

// generate runs a `secret generate` and reads the values abra prints (its
// NAME, VALUE table: the only time abra shows them) into values. They are
// masked before the transcript is logged.
func (d *Deployer) generate(ctx context.Context, a *appState, app *recipe.App, args []string, values map[string]string, progress func(string)) error {
	// The transcript is logged inside run, after its values are known to
	// the redactor: run it silently, mask, then log it.
	var lines []string
	res, err := d.r.run(ctx, func(m string) { lines = append(lines, m) }, args)
	found := 0
	for _, t := range parseTables(res.Transcript) {
		if !t.has("name", "value") {
			continue
		}
		for _, row := range t.rows {
			name, v := t.get(row, "name"), t.get(row, "value")
			i := slices.IndexFunc(app.Secrets, func(s recipe.Secret) bool { return s.Name == name })
			if i < 0 || v == "" {
				continue
			}
			d.r.red.Add(v)
			values[app.Secrets[i].FullName] = v
			found++
		}
	}
	for _, l := range lines {
		progress(d.r.red.String(l))
	}
	if err != nil {
		return fmt.Errorf("%s", d.r.red.String(err.Error()))
	}
	if found == 0 {
		return fmt.Errorf("abra %s printed no NAME/VALUE table of generated secrets", strings.Join(args, " "))
	}
	return nil
}

// secretNames returns the names of the stack's secrets on the swarm.
func (d *Deployer) secretNames(ctx context.Context, stack string) (map[string]bool, error) {
	res, err := d.API.SecretList(ctx, client.SecretListOptions{Filters: make(client.Filters).Add("name", stack+"_")})
	if err != nil {
		return nil, fmt.Errorf("list secrets of %s: %w", stack, err)
	}
	out := map[string]bool{}
	for _, s := range res.Items {
		out[s.Spec.Name] = true
	}
	return out, nil
}

// envFile renders the app's env (already expanded: .env.sample, abra.sh's
// exports, DOMAIN, the run's assignments) as an abra env file, with the
// overlay added to COMPOSE_FILE and each secret version's modifiers
// (length, charset, generate) kept for `abra app secret generate`.
func envFile(app *recipe.App) ([]byte, error) {
	env := maps.Clone(app.Env)
	delete(env, "STACK_NAME") // abra derives it from the domain
	files := env["COMPOSE_FILE"]
	if files == "" {
		files = "compose.yml"
	}
	env["COMPOSE_FILE"] = files + ":" + OverlayFile
	env["RECIPE"] = app.Recipe
	mods := map[string]string{}
	for _, s := range app.Secrets {
		var m []string
		if s.Length > 0 {
			m = append(m, fmt.Sprintf("length=%d", s.Length))
		}
		if s.Charset != "" {
			m = append(m, "charset="+s.Charset)
		}
		if !s.Generate {
			m = append(m, "generate=false")
		}
		if s.VersionVar != "" && len(m) > 0 {
			mods[s.VersionVar] = " # " + strings.Join(m, " ")
		}
	}
	var b strings.Builder
	b.WriteString("# The app's env for this recipe-test run: .env.sample with the run's assignments.\n")
	for _, k := range slices.Sorted(maps.Keys(env)) {
		q, err := quote(env[k])
		if err != nil {
			return nil, fmt.Errorf("abra env file: %s: %w", k, err)
		}
		fmt.Fprintf(&b, "%s=%s%s\n", k, q, mods[k])
	}
	return []byte(b.String()), nil
}

// quote writes a value so that an env-file reader takes it literally.
func quote(v string) (string, error) {
	switch {
	case strings.ContainsAny(v, "\n\r"):
		return "", fmt.Errorf("a value spanning lines cannot be written to an abra env file")
	case !strings.Contains(v, "'"):
		return "'" + v + "'", nil
	case !strings.ContainsAny(v, "\"$\\`"):
		return `"` + v + `"`, nil
	default:
		return "", fmt.Errorf("the value holds both a single quote and one of \" $ \\ `: no quoting keeps it literal")
	}
}
