package deps

import (
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// Lines maps the keys of a TOML document to the 1-based line each is
// written on, so a check of a decoded value can name its line. Keys are
// dotted paths with array-of-tables elements indexed from 0, as the
// decoded structure numbers them: "requires[0].env.ISSUER",
// "requires[1].setup[0].run", "requires[0]" (the header). A document
// that does not parse maps nothing: decoding it reports the error.
type Lines map[string]int

// IndexLines reads data's key positions.
func IndexLines(data []byte) Lines {
	lines := Lines{}
	var p unstable.Parser
	p.Reset(data)
	arrays := map[string]int{} // resolved array-of-tables path → elements so far
	var table string           // the current table's resolved path
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			keys, line := keyParts(&p, e.Key())
			path := resolve(arrays, "", keys)
			if e.Kind == unstable.ArrayTable {
				n := arrays[path]
				arrays[path] = n + 1
				path += "[" + strconv.Itoa(n) + "]"
			}
			table = path
			lines[path] = line
		case unstable.KeyValue:
			keys, line := keyParts(&p, e.Key())
			path := join(table, strings.Join(keys, "."))
			lines[path] = line
		}
	}
	return lines
}

// Line is the line of key, else of the nearest enclosing key written in
// the document (a table header), else 0.
func (l Lines) Line(key string) int {
	for key != "" {
		if n, ok := l[key]; ok {
			return n
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
	return 0
}

func keyParts(p *unstable.Parser, it unstable.Iterator) ([]string, int) {
	var keys []string
	line := 0
	for it.Next() {
		n := it.Node()
		if line == 0 {
			line = p.Shape(n.Raw).Start.Line
		}
		keys = append(keys, string(n.Data))
	}
	return keys, line
}

// resolve turns a header's keys into a path in which every prefix that
// names an array of tables points at its newest element, as TOML says.
func resolve(arrays map[string]int, path string, keys []string) string {
	for i, k := range keys {
		path = join(path, k)
		if n, ok := arrays[path]; ok && i < len(keys)-1 {
			path += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	return path
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}
