// Package enroll reads a recipe's enrollment: the recipe.toml in
// recipes/<name>/ that tells recipe-test what the generic floor cannot
// guess: how to seed and check the app's data, which release to upgrade
// from, which rungs of the level ladder do not apply and why.
//
// recipe.toml is decoded strictly: an unknown key is an error naming the
// file, line and key, so a typo never silently disables a check.
package enroll

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// FileName is the enrollment file inside an enrollment folder.
const FileName = "recipe.toml"

// Enrollment is one recipe's recipe.toml.
type Enrollment struct {
	// File is the path it was read from ("" for the zero enrollment).
	File string `toml:"-"`

	Upgrade Upgrade `toml:"upgrade"`
	Hooks   Hooks   `toml:"hooks"`
	// NotApplicable maps a rung (see Rungs) to the reason it does not
	// apply to the recipe; such a rung counts as passed, with its note.
	NotApplicable map[string]string `toml:"not_applicable"`
}

// Upgrade configures the upgrade stage.
type Upgrade struct {
	// Base is the release tag to upgrade from; "" = the newest release
	// older than the ref under test.
	Base string `toml:"base"`
}

// Hooks are the recipe's own data-integrity commands. Each is a shell
// command line run inside a running container of Service with
// RECIPE_TEST_MARKER set to a value unique to the run: Seed writes data
// carrying the marker through the app (its CLI, its database), Mutate
// changes and deletes some of it, and Verify exits 0 only when the data
// Seed wrote is there exactly as written.
type Hooks struct {
	Service string `toml:"service"`
	Seed    string `toml:"seed"`
	Mutate  string `toml:"mutate"`
	Verify  string `toml:"verify"`
}

// Defined reports whether the recipe declares its own data hooks.
func (h Hooks) Defined() bool {
	return h.Seed != "" || h.Mutate != "" || h.Verify != "" || h.Service != ""
}

// Rungs maps the rung names recipe.toml uses to ladder levels. Install
// (L1) is never optional.
var Rungs = map[string]int{"upgrade": 2, "backup_restore": 3, "functional": 4, "lint": 5}

// Load reads dir/recipe.toml. A missing file is an error: callers only
// load enrollments they were pointed at.
func Load(dir string) (*Enrollment, error) {
	file := filepath.Join(dir, FileName)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &recipe.ConfigError{File: file, Msg: "missing: an enrollment folder holds a recipe.toml"}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return Parse(file, data)
}

// Parse decodes recipe.toml content strictly and checks it. file names it
// in errors.
func Parse(file string, data []byte) (*Enrollment, error) {
	e := &Enrollment{File: file}
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(e); err != nil {
		return nil, decodeError(file, err)
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	return e, nil
}

// decodeError turns go-toml's errors into a ConfigError with line and key.
func decodeError(file string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		de := strict.Errors[0]
		line, _ := de.Position()
		return &recipe.ConfigError{File: file, Line: line, Key: strings.Join(de.Key(), "."), Msg: "unknown key" + knownKeys(de.Key())}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return &recipe.ConfigError{File: file, Line: line, Key: strings.Join(de.Key(), "."), Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	return &recipe.ConfigError{File: file, Msg: "cannot decode", Err: err}
}

// knownKeys lists the keys valid beside an unknown one, as a hint.
func knownKeys(key []string) string {
	var keys []string
	switch {
	case len(key) == 1:
		keys = []string{"upgrade", "hooks", "not_applicable"}
	case key[0] == "upgrade":
		keys = []string{"base"}
	case key[0] == "hooks":
		keys = []string{"service", "seed", "mutate", "verify"}
	}
	if len(keys) == 0 {
		return ""
	}
	return " (known here: " + strings.Join(keys, ", ") + ")"
}

func (e *Enrollment) check() error {
	h := e.Hooks
	if h.Defined() {
		var missing []string
		for _, f := range []struct{ name, v string }{{"service", h.Service}, {"seed", h.Seed}, {"mutate", h.Mutate}, {"verify", h.Verify}} {
			if strings.TrimSpace(f.v) == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return &recipe.ConfigError{File: e.File, Key: "hooks", Msg: "needs service, seed, mutate and verify together; missing " + strings.Join(missing, ", ")}
		}
	}
	for _, name := range sortedKeys(e.NotApplicable) {
		if _, ok := Rungs[name]; !ok {
			return &recipe.ConfigError{File: e.File, Key: "not_applicable." + name, Msg: "is not a rung that can be declared not applicable (use upgrade, backup_restore, functional or lint)"}
		}
		if strings.TrimSpace(e.NotApplicable[name]) == "" {
			return &recipe.ConfigError{File: e.File, Key: "not_applicable." + name, Msg: "needs a reason"}
		}
	}
	if e.Upgrade.Base != "" {
		if _, err := recipe.ParseVersion(e.Upgrade.Base); err != nil {
			return &recipe.ConfigError{File: e.File, Key: "upgrade.base", Msg: "is not a release tag", Err: err}
		}
	}
	return nil
}

// NotApplicableLevels maps ladder levels to the declared reasons.
func (e *Enrollment) NotApplicableLevels() map[int]string {
	out := map[int]string{}
	if e == nil {
		return out
	}
	for name, reason := range e.NotApplicable {
		out[Rungs[name]] = reason
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
