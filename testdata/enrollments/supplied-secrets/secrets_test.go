// Package suppliedsecrets is a fixture: recipe tests of the
// supplied-secrets recipe, for the runner's tests. They see the values
// recipe.toml's [secrets] made, as the app does.
package suppliedsecrets

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// Each secret the app gets holds what the tests are told it holds, in the
// form recipe.toml's [secrets] asks for.
func TestSecretsAsSupplied(t *testing.T) {
	env := harness.Load(t)
	for name, form := range map[string]*regexp.Regexp{
		"api_key": regexp.MustCompile(`^key-[0-9a-f]{6}-supplied-secrets$`), // value = "key-{{.RunID}}-{{.Recipe}}"
		"salt":    regexp.MustCompile(`^[0-9a-f]{40}$`),                     // random = { length = 40, charset = "hex" }
		"plc_key": regexp.MustCompile(`^plc-[0-9a-f]{12}$`),                 // the command's container's host name
	} {
		v := env.Secret(t, name)
		if !form.MatchString(v) {
			t.Errorf("secret %s does not have the supplied form %s", name, form)
		}
		if got := string(env.ReadFile(t, "app", "/run/secrets/"+name)); strings.TrimSpace(got) != v {
			t.Errorf("secret %s: the app's file differs from the value the run supplied", name)
		}
	}
}

// The app read api_key (its SECRET_FILE) when it started.
func TestAppLoadedItsKey(t *testing.T) {
	env := harness.Load(t)
	var info struct {
		Loaded bool `json:"secret_loaded"`
		Length int  `json:"secret_length"`
	}
	env.HTTP().GetJSON(t, "/api/info", &info)
	if !info.Loaded || info.Length != len(env.Secret(t, "api_key")) {
		t.Errorf("the app reports secret_loaded %v, %d characters; the run supplied %d", info.Loaded, info.Length, len(env.Secret(t, "api_key")))
	}
}
