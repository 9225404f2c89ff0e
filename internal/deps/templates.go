package deps

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// Facts are what templates know of one dependency once it is deployed
// and set up: {{ .Deps.<key>.Domain }} and so on.
type Facts struct {
	Domain string // its run domain
	Stack  string // its stack
	URL    string // https://Domain
	// Secrets are its generated (or supplied) secret values by compose
	// secret name; Env its env after its own wiring; Outputs what its
	// setup steps printed.
	Secrets map[string]string
	Env     map[string]string
	Outputs map[string]string
}

// Known is what a plan knows, before anything is deployed, of the facts a
// template may name: the run's own fields and each dependency's secret,
// env and output names.
type Known struct {
	Run  []string         // the root fields besides Deps: Domain, Stack, RunID, Recipe
	Deps map[string]Shape // by Require.Key
}

// Shape lists the names a dependency's facts will hold. A nil Env allows
// any name (a recipe whose env is not known until deployed).
type Shape struct {
	Secrets []string
	Env     []string
	Outputs []string
}

var depFields = []string{"Domain", "Stack", "URL", "Secrets", "Env", "Outputs"}

func parseTemplate(text string) (*template.Template, error) {
	return template.New("").Option("missingkey=error").Parse(text)
}

// CheckTemplate checks that every field text names is one known will
// have: .Deps.<key>.<fact>[.<name>] for a required key and a fact it
// has, or a run field. It does not execute anything.
func CheckTemplate(text string, known Known) error {
	t, err := parseTemplate(text)
	if err != nil {
		return err
	}
	var bad error
	walk(t.Tree.Root, true, func(n parse.Node, dotIsRoot bool) {
		if bad != nil {
			return
		}
		switch n := n.(type) {
		case *parse.FieldNode:
			if dotIsRoot {
				bad = known.checkField(n.Ident)
			}
		case *parse.ChainNode:
			if _, ok := n.Node.(*parse.DotNode); !ok || !dotIsRoot {
				return
			}
			bad = known.checkField(n.Field)
		case *parse.VariableNode:
			if len(n.Ident) > 1 && n.Ident[0] == "$" {
				bad = known.checkField(n.Ident[1:])
			}
		}
	})
	return bad
}

func (k Known) checkField(ident []string) error {
	if len(ident) == 0 {
		return nil
	}
	if ident[0] != "Deps" {
		if !slices.Contains(k.Run, ident[0]) {
			return fmt.Errorf("{{ .%s }}: no such fact (known: %s, Deps)", strings.Join(ident, "."), strings.Join(k.Run, ", "))
		}
		return nil
	}
	if len(ident) == 1 {
		return nil // all of them, e.g. ranged over
	}
	shape, ok := k.Deps[ident[1]]
	if !ok {
		return fmt.Errorf("{{ .%s }}: %s is not required here (required: %s)", strings.Join(ident, "."), ident[1], keyList(k.Deps))
	}
	if len(ident) == 2 {
		return nil // with .Deps.<key>: its fields are then not checked
	}
	field := ident[2]
	var names []string
	switch field {
	case "Domain", "Stack", "URL":
		if len(ident) > 3 {
			return fmt.Errorf("{{ .Deps.%s }}: %s is a string", strings.Join(ident[1:], "."), field)
		}
		return nil
	case "Secrets":
		names = shape.Secrets
	case "Env":
		if shape.Env == nil {
			return nil
		}
		names = shape.Env
	case "Outputs":
		names = shape.Outputs
	default:
		return fmt.Errorf("{{ .Deps.%s }}: %s has no fact %s (facts: %s)", strings.Join(ident[1:], "."), ident[1], field, strings.Join(depFields, ", "))
	}
	if len(ident) < 4 {
		return nil // the whole map, e.g. ranged over
	}
	if !slices.Contains(names, ident[3]) {
		what := map[string]string{"Secrets": "secret", "Env": "env variable", "Outputs": "setup output"}[field]
		list := "none"
		if len(names) > 0 {
			list = strings.Join(names, ", ")
		}
		return fmt.Errorf("{{ .Deps.%s }}: %s has no %s %s (it has: %s)", strings.Join(ident[1:], "."), ident[1], what, ident[3], list)
	}
	return nil
}

func keyList(m map[string]Shape) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// walk calls f on every node of a template's tree; dotIsRoot is false
// inside with and range, where dot is no longer the facts.
func walk(n parse.Node, dotIsRoot bool, f func(parse.Node, bool)) {
	if n == nil {
		return
	}
	f(n, dotIsRoot)
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, dotIsRoot, f)
		}
	case *parse.ActionNode:
		walk(n.Pipe, dotIsRoot, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, d := range n.Decl {
			walk(d, dotIsRoot, f)
		}
		for _, c := range n.Cmds {
			walk(c, dotIsRoot, f)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walk(a, dotIsRoot, f)
		}
	case *parse.ChainNode:
		walk(n.Node, dotIsRoot, f)
	case *parse.IfNode:
		walk(n.Pipe, dotIsRoot, f)
		walk(n.List, dotIsRoot, f)
		walk(n.ElseList, dotIsRoot, f)
	case *parse.RangeNode:
		walk(n.Pipe, dotIsRoot, f)
		walk(n.List, false, f)
		walk(n.ElseList, dotIsRoot, f)
	case *parse.WithNode:
		walk(n.Pipe, dotIsRoot, f)
		walk(n.List, false, f)
		walk(n.ElseList, dotIsRoot, f)
	case *parse.TemplateNode:
		walk(n.Pipe, dotIsRoot, f)
	}
}
