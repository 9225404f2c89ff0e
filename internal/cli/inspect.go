package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/runner"
)

// openRecipe fetches a recipe at ref (a clone goes into a temporary
// folder, which done removes) and loads it with its versions.
func openRecipe(ctx context.Context, location, ref string, cloneTimeout time.Duration) (r *recipe.Recipe, done func(), err error) {
	work, err := os.MkdirTemp("", "recipe-test-")
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, cloneTimeout)
	defer cancel()
	if r, err = recipe.Open(cctx, location, ref, work); err != nil {
		err = cloneTimedOut(ctx, cctx, cloneTimeout, err)
		os.RemoveAll(work)
		return nil, nil, err
	}
	return r, func() { os.RemoveAll(work) }, nil
}

// inspection is what `recipe-test inspect` prints.
type inspection struct {
	Name        string            `json:"name"`
	Location    string            `json:"location"`
	Ref         string            `json:"ref,omitempty"`
	Commit      string            `json:"commit,omitempty"`
	AbraExports map[string]string `json:"abra_sh_exports,omitempty"`
	Optional    []recipe.EnvVar   `json:"optional_settings,omitempty"`
	Versions    []recipe.Version  `json:"versions"`
	// Streams are the app's TCP and UDP ways in: Traefik TCP/UDP routers
	// and published ports, with the service and port each reaches.
	Streams []recipe.StreamRoute `json:"streams,omitempty"`
	*recipe.App
}

func newInspectCmd() *cobra.Command {
	var ref, domain string
	var set []string
	var cloneTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "inspect PATH|GIT-URL",
		Short: "Print the resolved recipe model as JSON",
		Long: `Load a recipe from a folder or a git URL at a ref, resolve its compose files
for a domain the way abra deploys it, and print the model as JSON on stdout:
the compose files used, each service with its image, healthcheck, traefik
routers and port, published ports, and backup labels; the TCP and UDP ways
in (Traefik TCP/UDP routers, published ports); each secret, config, volume and network
with the full name it gets for the domain; and the versions, newest last.

Nothing is deployed. A malformed recipe exits with code 2 and an error that
names the file, the line when there is one, and what is wrong.`,
		Example: `  recipe-test inspect testdata/recipes/example
  recipe-test inspect https://git.coopcloud.tech/coop-cloud/custom-html.git --ref 1.0.0+1.25.1
  recipe-test inspect ./bonfire --domain bonf-1a2b3c.ci.example.org --set 'COMPOSE_FILE="$COMPOSE_FILE:compose.sonic.yml"'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, done, err := openRecipe(cmd.Context(), args[0], ref, cloneTimeout)
			if err != nil {
				return err
			}
			defer done()
			if len(set) > 0 {
				if err := r.Set("--set", set...); err != nil {
					return err
				}
			}
			if domain == "" {
				d, _ := r.Env.Lookup("DOMAIN")
				domain = d.Value
			}
			if domain == "" {
				return usageError{fmt.Errorf("no --domain given and %s sets no DOMAIN", r.Env.File)}
			}
			app, err := r.Resolve(recipe.ResolveOptions{Domain: domain, NoPolicy: true})
			if err != nil {
				return err
			}
			out := inspection{Name: r.Name, Location: args[0], Ref: r.Ref, Commit: r.Commit,
				Optional: r.Env.Optional, Versions: r.Versions, Streams: app.Streams(), App: app}
			if r.AbraSh != nil {
				out.AbraExports = r.AbraSh.Exports
				app.Warnings = append(r.AbraSh.Warnings, app.Warnings...)
			}
			if out.Versions == nil {
				out.Versions = []recipe.Version{}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&ref, "ref", "", "git branch, tag or commit to load (default: the working tree of a local folder, or the default branch of a URL)")
	f.StringVar(&domain, "domain", "", "domain to resolve resource names for (default: DOMAIN from .env.sample)")
	f.StringArrayVar(&set, "set", nil, "an env assignment applied on top of .env.sample, in env-file syntax, e.g. 'COMPOSE_FILE=\"$COMPOSE_FILE:compose.x.yml\"' (repeatable)")
	cloneTimeoutFlag(f, &cloneTimeout)
	return cmd
}

// cloneTimeoutFlag is the --clone-timeout of the commands that fetch a
// recipe without running it, as run's.
func cloneTimeoutFlag(f *pflag.FlagSet, d *time.Duration) {
	f.DurationVar(d, "clone-timeout", runner.DefaultCloneTimeout, "the most fetching the recipe (its clone and fetches) may take")
}

// cloneTimedOut says so when fetching failed because cctx, the clone's
// own deadline, ran out (not the caller's ctx).
func cloneTimedOut(ctx, cctx context.Context, d time.Duration, err error) error {
	if cctx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("not done within the clone timeout (%s): %w", d, err)
	}
	return err
}
