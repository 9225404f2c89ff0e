package abra

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
)

// OverlayFile is the compose file recipe-test adds to the recipe's
// COMPOSE_FILE in the private ABRA_DIR, as an operator adds an override:
// it puts the run label (swarm.LabelRun) on every service, its containers
// and its volumes (stack deploy's configs and networks go with the stack;
// abra's own secrets carry none), so that the janitor recognises the stack as a run's,
// and, when recipe-test runs in a container, attaches the routed services
// to the run's reach network (swarm.ReachNetwork), which abra then creates
// with the stack.
const OverlayFile = "compose.recipe-test.yml"

// reachKey is the reach network's key in the overlay: stack deploy names
// it <stack>_recipe-test, which is swarm.ReachNetwork.
const reachKey = "recipe-test"

func writeOverlay(file string, app *recipe.App, opts swarm.DeployOptions) error {
	run := map[string]string{swarm.LabelRun: opts.RunID}
	services := map[string]any{}
	for _, s := range app.Services {
		svc := map[string]any{"labels": run, "deploy": map[string]any{"labels": run}}
		if opts.Reach && swarm.Routed(s) {
			// Listing networks replaces the service's list: keep its own.
			nets := map[string]any{reachKey: nil}
			for _, n := range serviceNetworks(app, s.Name) {
				nets[n] = nil
			}
			svc["networks"] = nets
		}
		services[s.Name] = svc
	}
	doc := map[string]any{"version": "3.8", "services": services}
	if vols := volumes(app, run); len(vols) > 0 {
		doc["volumes"] = vols
	}
	if opts.Reach {
		doc["networks"] = map[string]any{reachKey: map[string]any{"driver": "overlay", "attachable": true, "labels": run}}
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("overlay %s: %w", OverlayFile, err)
	}
	return os.WriteFile(file, data, 0o644)
}

// volumes are the app's own volumes with the run label added. A top-level
// entry of a later compose file replaces the earlier one whole (the loader
// merges services field by field, not volumes), so each is written out in
// full: its name, driver, driver options and labels. A volume with more
// than that (a cluster volume, extension fields) is left as it is, without
// the label, rather than changed.
func volumes(app *recipe.App, run map[string]string) map[string]any {
	out := map[string]any{}
	if app.Compose == nil {
		return out
	}
	for key, v := range app.Compose.Volumes {
		if v.External.External || v.Spec != nil || len(v.Extras) > 0 {
			continue
		}
		labels := maps.Clone(map[string]string(v.Labels))
		if labels == nil {
			labels = map[string]string{}
		}
		maps.Copy(labels, run)
		e := map[string]any{"labels": labels}
		if v.Name != "" {
			e["name"] = v.Name
		}
		if v.Driver != "" {
			e["driver"] = v.Driver
		}
		if len(v.DriverOpts) > 0 {
			e["driver_opts"] = v.DriverOpts
		}
		out[key] = e
	}
	return out
}

// serviceNetworks are the networks the merged compose model gives service
// (its implicit default network when it names none).
func serviceNetworks(app *recipe.App, name string) []string {
	if app.Compose != nil {
		for _, s := range app.Compose.Services {
			if s.Name == name {
				if len(s.Networks) == 0 {
					return []string{"default"}
				}
				return slices.Sorted(maps.Keys(s.Networks))
			}
		}
	}
	return []string{"default"}
}

// copyRecipe copies the recipe's files from src into dst (abra reads a
// recipe from $ABRA_DIR/recipes/<name>), leaving out .git. The copy is
// made through an os.Root: a symlink is followed only inside the recipe
// (the recipe was checked to keep its files inside), and copied as the
// file it points at.
func copyRecipe(src, dst string) error {
	root, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer root.Close()
	fsys := root.FS()
	return fs.WalkDir(fsys, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == ".git" {
			return fs.SkipDir
		}
		target := filepath.Join(dst, filepath.FromSlash(path))
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		st, err := fs.Stat(fsys, path) // follows a symlink, inside the root only
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if !st.Mode().IsRegular() {
			return nil // a symlink to a folder, a socket: nothing abra reads
		}
		in, err := fsys.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, st.Mode().Perm())
		if err != nil {
			return err
		}
		_, cerr := io.Copy(out, in)
		return errors.Join(cerr, out.Close())
	})
}
