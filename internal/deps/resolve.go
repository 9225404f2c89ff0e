package deps

import (
	"fmt"
	"strings"

	"github.com/cc-ci/recipe-test/v2/internal/recipe"
)

// Node is a recipe in a dependency graph: the [[requires]] of its
// recipe.toml and where they are written. A recipe without an enrollment
// is a node with no requirements.
type Node struct {
	Name     string
	File     string // its recipe.toml; "" when it has none
	Lines    Lines
	Requires []Require
}

// Loader returns the node of a required recipe. Its error (no such
// enrolled recipe, a recipe.toml that does not decode) is reported at the
// line that requires the recipe.
type Loader func(r Require) (*Node, error)

// Resolve returns every recipe root requires, directly or through another,
// in deployment order: each after all it requires. A recipe required on
// two paths is deployed once. A cycle, or a requirement the loader cannot
// load, is a *recipe.ConfigError at the recipe.toml line that requires it.
func Resolve(root *Node, load Loader) ([]*Node, error) {
	var order []*Node
	done := map[string]*Node{}
	var visit func(n *Node, path []string) error
	visit = func(n *Node, path []string) error {
		path = append(path, n.Name)
		for i, r := range n.Requires {
			key := fmt.Sprintf("requires[%d].name", i)
			at := func(msg string, err error) error {
				return &recipe.ConfigError{File: n.File, Line: n.Lines.Line(key), Key: key, Msg: msg, Err: err}
			}
			if j := indexOf(path, r.Name); j >= 0 {
				cycle := append(append([]string{}, path[j:]...), r.Name)
				return at("dependency cycle: "+strings.Join(cycle, " → "), nil)
			}
			if _, ok := done[r.Name]; ok {
				continue
			}
			dep, err := load(r)
			if err != nil {
				return at(fmt.Sprintf("cannot use required recipe %s", r.Name), err)
			}
			if dep.Name == "" {
				dep.Name = r.Name
			}
			if err := visit(dep, path); err != nil {
				return err
			}
			done[r.Name] = dep
			order = append(order, dep)
		}
		return nil
	}
	if err := visit(root, nil); err != nil {
		return nil, err
	}
	return order, nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
