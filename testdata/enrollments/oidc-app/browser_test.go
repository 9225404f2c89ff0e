// The browser test is left out of a build with the nobrowser tag, for a
// run in a container without Chromium (internal/cli's bridge-network test).

//go:build !nobrowser

package oidcapp

import (
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
	// The app's page without a login sends the browser to the provider's
	// login form.
	b := sso.LoginThroughApp(t, env, sso.AppLogin{Start: "/", ProviderPage: idp.URL + "/login?", Form: sso.FixtureLogin}, user)
	b.WaitVisible(t, "#user")
	if got := b.Text(t, "#user"); got != "Ada Lovelace" {
		t.Errorf("the app's page names %q, want Ada Lovelace", got)
	}
	b.Screenshot(t, "logged-in")
	b.Click(t, "#logout")
	b.WaitLocation(t, idp.URL+"/login?")
}
