// The browser test is left out of a build with the nobrowser tag, for a
// run in a container without Chromium (internal/cli's bridge-network test).

//go:build !nobrowser

package oidcapp

import (
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/harness/sso"
)

// A user logs in through the provider's form in Chromium (the
// authorization-code flow with PKCE, both domains through the run's
// ingress), lands on the app's page, which names them, and logs out.
func TestLoginInBrowser(t *testing.T) {
	env := harness.Load(t)
	_, idp := provider(t, env)
	user := sso.SetupUser(t, idp, sso.User{})
	b := env.Browser(t)
	b.Navigate(t, "/")
	if loc := b.Location(t); !strings.HasPrefix(loc, idp.URL+"/login?") {
		t.Fatalf("the app's page without a login shows %s, want the provider's login form", loc)
	}
	sso.Login(t, b, sso.FixtureLogin, user, env.BaseURL+"/")
	b.WaitVisible(t, "#user")
	if got := b.Text(t, "#user"); got != "Ada Lovelace" {
		t.Errorf("the app's page names %q, want Ada Lovelace", got)
	}
	b.Screenshot(t, "logged-in")
	b.Click(t, "#logout")
	b.WaitLocation(t, idp.URL+"/login?")
}
