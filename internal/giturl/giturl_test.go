package giturl

import "testing"

func TestIs(t *testing.T) {
	for location, want := range map[string]bool{
		"https://git.coopcloud.tech/coop-cloud/custom-html.git": true,
		"HTTPS://git.coopcloud.tech/coop-cloud/custom-html.git": true,
		"http://127.0.0.1:3000/o/r.git":                         true,
		"ssh://git@git.coopcloud.tech:2222/coop-cloud/r.git":    true,
		"git://example.org/r.git":                               true,
		"file:///srv/recipes/r":                                 true,
		"git@git.coopcloud.tech:coop-cloud/custom-html.git":     true,
		// Local paths, including ones an "is there an @ or ://" guess
		// took for URLs.
		"testdata/recipes/example":  false,
		"/home/me/recipes/r@2":      false,
		"./r@host:x":                false,
		"example":                   false,
		"C:/recipes/r":              false,
		"recipes/r?see=https://x.y": false,
		"":                          false,
	} {
		if got := Is(location); got != want {
			t.Errorf("Is(%q) = %v, want %v", location, got, want)
		}
	}
}
