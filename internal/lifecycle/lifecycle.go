// Package lifecycle declares the lifecycle of a recipe test once: its
// stages in the order they run, what each needs and brings, and the level
// ladder they climb. Every other list derives from it: the stage names a
// run and recipe.toml accept, the default stages, the ladder's rungs and
// the rung keys of recipe.toml's not_applicable, the runner's order.
// It is data only, a leaf package, so that the runner, the enrollment and
// the results model can all read it.
package lifecycle

import (
	"fmt"
	"slices"
	"strings"
)

// Stage names.
const (
	Lint     = "lint"
	Install  = "install"
	Upgrade  = "upgrade"
	Backup   = "backup"
	Restore  = "restore"
	Custom   = "custom"
	Teardown = "teardown"
)

// Stage is one stage of the lifecycle.
type Stage struct {
	Name string
	// Rung is the ladder level the stage counts towards (see Rungs).
	Rung int
	// Brings names stages that selecting this one selects too: a restore
	// restores what the backup saved.
	Brings []string
	// Deploys says the stage deploys the app (and so needs an engine,
	// and its result names the release it ran); lint reads files only.
	Deploys bool
	// Stops says a failure of the stage stops the stages after it: each
	// builds on what the one before it deployed. Lint findings do not.
	Stops bool
}

// Stages returns the selectable stages in the order they run. Teardown is
// not among them: it always runs, last.
func Stages() []Stage {
	return []Stage{
		// Lint first: it deploys nothing and is quick, and its findings
		// explain failures that follow.
		{Name: Lint, Rung: 5},
		// The head installs fresh: L1.
		{Name: Install, Rung: 1, Deploys: true, Stops: true},
		// From the previous release to the head, data kept.
		{Name: Upgrade, Rung: 2, Deploys: true, Stops: true},
		{Name: Backup, Rung: 3, Deploys: true, Stops: true},
		{Name: Restore, Rung: 3, Brings: []string{Backup}, Deploys: true, Stops: true},
		// The recipe's own tests, against the head as the stages above
		// left it.
		{Name: Custom, Rung: 4, Deploys: true, Stops: true},
	}
}

// Names returns the selectable stage names, in the order they run.
func Names() []string {
	var out []string
	for _, s := range Stages() {
		out = append(out, s.Name)
	}
	return out
}

// Lookup returns the stage named name.
func Lookup(name string) (Stage, bool) {
	st := Stages()
	i := slices.IndexFunc(st, func(s Stage) bool { return s.Name == name })
	if i < 0 {
		return Stage{}, false
	}
	return st[i], true
}

// Rung is one level of the ladder.
type Rung struct {
	Level int
	Name  string // as reports show it: "L2 upgrades"
	// Key is the rung's key in recipe.toml's not_applicable; "" for a
	// rung that cannot be declared not applicable (installing).
	Key string
}

// Rungs returns the ladder, lowest first: L1 installs, L2 upgrades, L3
// backs up and restores with data integrity, L4 functional tests pass, L5
// lint clean.
func Rungs() []Rung {
	return []Rung{
		{1, "installs", ""},
		{2, "upgrades", "upgrade"},
		{3, "backs up and restores", "backup_restore"},
		{4, "functional tests pass", "functional"},
		{5, "lint clean", "lint"},
	}
}

// MaxLevel is the top of the ladder.
const MaxLevel = 5

// RungStages returns the stages the rung at level needs, in the order
// they run.
func RungStages(level int) []string {
	var out []string
	for _, s := range Stages() {
		if s.Rung == level {
			out = append(out, s.Name)
		}
	}
	return out
}

// RungKeys maps recipe.toml's not_applicable keys to ladder levels.
func RungKeys() map[string]int {
	out := map[string]int{}
	for _, r := range Rungs() {
		if r.Key != "" {
			out[r.Key] = r.Level
		}
	}
	return out
}

// Select checks and orders stage names (comma lists allowed; teardown,
// which always runs, is dropped), adding what the named stages bring.
// The error names the unknown stage.
func Select(names []string) ([]string, error) {
	var out []string
	add := func(name string) {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	known := Names()
	for _, s := range names {
		for _, name := range strings.Split(s, ",") {
			switch name = strings.TrimSpace(name); {
			case name == "" || name == Teardown:
				continue
			case !slices.Contains(known, name):
				return nil, &UnknownError{Name: name}
			}
			add(name)
		}
	}
	for _, name := range slices.Clone(out) {
		st, _ := Lookup(name)
		for _, b := range st.Brings {
			add(b)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) })
	return out, nil
}

// UnknownError names a stage the lifecycle does not have.
type UnknownError struct{ Name string }

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown stage %q: stages are %s (teardown always runs)", e.Name, strings.Join(Names(), ", "))
}
