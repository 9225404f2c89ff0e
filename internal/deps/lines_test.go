package deps

import "testing"

func TestIndexLines(t *testing.T) {
	doc := `# an enrollment
[recipe]
name = "app"

[[requires]]
name = "provider"
[requires.env]
ISSUER = "https://{{ .Deps.provider.Domain }}"

[[requires.setup]]
service = "op"
run = "make-client"

[[requires]]
name = "db"
env.DB_HOST = "x"
`
	l := IndexLines([]byte(doc))
	for key, want := range map[string]int{
		"recipe":                   2,
		"recipe.name":              3,
		"requires[0]":              5,
		"requires[0].name":         6,
		"requires[0].env":          7,
		"requires[0].env.ISSUER":   8,
		"requires[0].setup[0]":     10,
		"requires[0].setup[0].run": 12,
		"requires[1].name":         15,
		"requires[1].env.DB_HOST":  16,
	} {
		if got := l[key]; got != want {
			t.Errorf("line of %s = %d, want %d (all: %v)", key, got, want, l)
		}
	}
	// A key not written (a default) falls back to its table's header.
	if got := l.Line("requires[1].for"); got != 14 {
		t.Errorf("Line(requires[1].for) = %d, want the header's 14", got)
	}
	if got := l.Line("nowhere.at.all"); got != 0 {
		t.Errorf("Line of an unknown key = %d, want 0", got)
	}
}
