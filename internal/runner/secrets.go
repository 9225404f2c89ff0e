package runner

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/enrollment"
	"github.com/cc-ci/recipe-test/v2/internal/excerpt"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// runFacts are what recipe.toml's templates ([env], secret values, the
// wiring of [[requires]]) see. Scheme is how the run's ingress reaches
// the app's domain: http (direct) or https (traefik).
type runFacts struct{ Domain, Stack, RunID, Recipe, Scheme string }

// runFactNames are runFacts' fields, as templates name them.
var runFactNames = []string{"Domain", "Stack", "RunID", "Recipe", "Scheme"}

// suppliedSecrets holds the values recipe.toml supplies, by the compose
// secret's name: template and random values are made at plan time,
// commands at the first deploy (they need a container).
type suppliedSecrets struct {
	values   map[string]string
	commands []string // names whose command has not run yet
	image    map[string]string
}

// minSecret is the shortest value the redactor masks (shorter ones would
// mangle ordinary text): a supplied secret must be at least this long to
// be kept out of every output, as a generated one is.
const minSecret = 4

// maxSecret is the largest secret the swarm stores (500 KiB).
const maxSecret = 500 << 10

// planSecrets checks recipe.toml's [secrets] against the apps the run may
// deploy (the head, and the upgrade's base release) and makes the values
// that need no container. A generate=false secret nothing supplies is bad
// input: the error names it and shows the recipe.toml lines that would
// supply it.
func (r *Run) planSecrets(facts runFacts) error {
	apps := []*recipe.App{r.App}
	if r.upgrade.app != nil {
		apps = append(apps, r.upgrade.app)
	}
	if err := r.missingSupplies(apps); err != nil {
		return err
	}
	s := &r.secrets
	s.values, s.image = map[string]string{}, map[string]string{}
	for _, name := range r.Enrollment.SuppliedSecrets() {
		sup, _ := r.Enrollment.SecretSupply(name)
		key := "secrets." + name
		if err := r.checkSupplied(apps, name, key); err != nil {
			return err
		}
		switch sup.Kind() {
		case "value":
			v, err := r.Enrollment.RenderSecretValue(name, facts)
			if err != nil {
				return err
			}
			for _, f := range []struct{ name, v string }{{"domain", facts.Domain}, {"stack", facts.Stack}, {"run id", facts.RunID}, {"recipe", facts.Recipe}} {
				if strings.Contains(f.v, v) {
					return &recipe.ConfigError{File: r.Enrollment.File, Key: key + ".value",
						Msg: fmt.Sprintf("renders to a part of the run's %s: a secret's value is masked in every output, so it would hide the %s from the reports", f.name, f.name)}
				}
			}
			if err := r.keepSecret(name, v, key+".value"); err != nil {
				return err
			}
		case "random":
			v, err := swarm.GenerateSecret(recipe.Secret{FullName: name, Length: sup.Random.Length, Charset: sup.Random.Charset})
			if err != nil {
				return err
			}
			if err := r.keepSecret(name, v, key+".random"); err != nil {
				return err
			}
		case "command":
			image, err := commandImage(apps, name, sup.Service, r.Enrollment.File, key)
			if err != nil {
				return err
			}
			s.image[name] = image
			s.commands = append(s.commands, name)
		}
	}
	return nil
}

// missingSupplies names every generate=false secret of apps that
// recipe.toml does not supply.
func (r *Run) missingSupplies(apps []*recipe.App) error {
	var missing []recipe.Secret
	for _, app := range apps {
		for _, s := range app.Secrets {
			if _, ok := r.Enrollment.SecretSupply(s.Name); s.External && !s.Generate && !ok && !r.wiredSecret(s.Name) &&
				!slices.ContainsFunc(missing, func(m recipe.Secret) bool { return m.Name == s.Name }) {
				missing = append(missing, s)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var names, lines []string
	for _, s := range missing {
		name := s.Name
		if !slices.ContainsFunc(r.App.Secrets, func(h recipe.Secret) bool { return h.Name == s.Name }) {
			name += " (of release " + r.upgrade.version + ", which the upgrade starts from)"
		}
		names = append(names, name)
		lines = append(lines, enrollment.SupplyExample(s))
	}
	where := "an enrollment, " + filepath.Join("recipes", r.Recipe.Name, enrollment.FileName) + " (see docs/enroll-recipe.md)"
	if r.Enrollment != nil {
		where = r.Enrollment.File
	}
	first := missing[0]
	ce := &recipe.ConfigError{File: r.Recipe.Env.File, Key: first.VersionVar}
	if v, ok := r.Recipe.Env.Lookup(first.VersionVar); ok {
		ce.Line = v.Line
	}
	what := "secret " + names[0] + " is marked generate=false: recipe-test does not generate it, and nothing supplies it"
	if len(names) > 1 {
		what = "secrets " + strings.Join(names, ", ") + " are marked generate=false: recipe-test does not generate them, and nothing supplies them"
	}
	ce.Msg = fmt.Sprintf("%s. Add to %s:\n\n%s", what, where, strings.Join(lines, "\n"))
	return ce
}

// checkSupplied checks that the secret name a supply is for is an
// external secret of one of apps.
func (r *Run) checkSupplied(apps []*recipe.App, name, key string) error {
	var external []string
	for _, app := range apps {
		for _, s := range app.Secrets {
			switch {
			case s.Name == name && s.External:
				return nil
			case s.Name == name:
				return &recipe.ConfigError{File: r.Enrollment.File, Key: key,
					Msg: fmt.Sprintf("secret %s of recipe %s is made from a file of the recipe, not by the operator: nothing can supply it", name, r.Recipe.Name)}
			case s.External && !slices.Contains(external, s.Name):
				external = append(external, s.Name)
			}
		}
	}
	slices.Sort(external)
	list := strings.Join(external, ", ")
	if list == "" {
		list = "none"
	}
	return &recipe.ConfigError{File: r.Enrollment.File, Key: key,
		Msg: fmt.Sprintf("names secret %q, which recipe %s does not have (its secrets: %s)", name, r.Recipe.Name, list)}
}

// commandImage is the image a secret's command runs in: that of service,
// else of the first service using the secret.
func commandImage(apps []*recipe.App, name, service, file, key string) (string, error) {
	if service != "" {
		if svc, ok := apps[0].Service(service); ok {
			return svc.Image, nil
		}
		var names []string
		for _, s := range apps[0].Services {
			names = append(names, s.Name)
		}
		return "", &recipe.ConfigError{File: file, Key: key + ".service",
			Msg: fmt.Sprintf("names service %q, which the recipe does not have (services: %s)", service, strings.Join(names, ", "))}
	}
	for _, app := range apps {
		for _, s := range app.Services {
			if slices.Contains(s.Secrets, name) {
				return s.Image, nil
			}
		}
	}
	return "", &recipe.ConfigError{File: file, Key: key,
		Msg: "no service uses the secret: name the service whose image the command runs in (service = \"...\")"}
}

// keepSecret records a supplied value, masked before anything can print
// it.
func (r *Run) keepSecret(name, v, key string) error {
	switch {
	case len(v) < minSecret:
		return &recipe.ConfigError{File: r.Enrollment.File, Key: key,
			Msg: fmt.Sprintf("makes a value of %d characters: a secret needs at least %d to be masked in the run's output", len(v), minSecret)}
	case len(v) > maxSecret:
		return &recipe.ConfigError{File: r.Enrollment.File, Key: key,
			Msg: fmt.Sprintf("makes a value of %d bytes: a swarm secret holds at most %d", len(v), maxSecret)}
	}
	r.Redact.Add(v)
	if r.cfg.hooks.OnSecret != nil {
		r.cfg.hooks.OnSecret(v)
	}
	r.secrets.values[name] = v
	return nil
}

// runSecretCommands runs the commands of recipe.toml's [secrets] that have
// not run yet, each in a throwaway container of the recipe's own image.
func (r *Run) runSecretCommands(ctx context.Context) error {
	s := &r.secrets
	for len(s.commands) > 0 {
		name := s.commands[0]
		sup, _ := r.Enrollment.SecretSupply(name)
		key := "secrets." + name + ".command"
		r.Logf("secret %s: running %s's command in a throwaway container of image %s", name, r.Enrollment.File, s.image[name])
		res, err := r.Engine.RunOnce(ctx, swarm.OneShot{Stack: r.App.Stack, RunID: r.Result.RunID, Name: "secret",
			Image: s.image[name], Cmd: sup.Command, Timeout: r.cfg.limits.HookTimeout})
		if err != nil {
			return fmt.Errorf("%s %s: %w", r.Enrollment.File, key, err)
		}
		v := strings.TrimSpace(res.Stdout)
		if res.ExitCode != 0 {
			return fmt.Errorf("%s %s exited %d: %s", r.Enrollment.File, key, res.ExitCode, stderrTail(res.Stderr))
		}
		if v == "" {
			return fmt.Errorf("%s %s printed nothing on its standard output: the value is what it prints", r.Enrollment.File, key)
		}
		// The value is what the recipe's image printed, text the recipe
		// controls, and it becomes a mask in every report: it must be long
		// enough not to be a word of them (masking "fail" would blank it
		// everywhere). See masks.go.
		if len(v) < minMask {
			return &recipe.ConfigError{File: r.Enrollment.File, Key: key,
				Msg: fmt.Sprintf("printed a value of %d characters: a value made in the recipe's image needs at least %d, as every report masks it", len(v), minMask)}
		}
		if err := r.keepSecret(name, v, key); err != nil {
			return err
		}
		r.Logf("secret %s: made by the command (%d characters)", name, len(v))
		s.commands = s.commands[1:]
	}
	return nil
}

// secretValues are the values to deploy with, by secret full name: the
// supplied ones for every app the run may deploy, and what earlier deploys
// made.
func (r *Run) secretValues() map[string]string {
	out := map[string]string{}
	for _, app := range []*recipe.App{r.upgrade.app, r.App} {
		if app == nil {
			continue
		}
		for _, s := range app.Secrets {
			if v, ok := r.secrets.values[s.Name]; ok && s.External {
				out[s.FullName] = v
			}
		}
	}
	if r.Deployment != nil {
		maps.Copy(out, r.Deployment.Secrets)
	}
	return out
}

// stderrTail is the end of a command's standard error, for an error
// message.
func stderrTail(stderr string) string {
	if out := excerpt.LastLines(stderr, 5); out != "" {
		return out
	}
	return "(nothing on standard error)"
}
