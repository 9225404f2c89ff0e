package sso

import (
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// LoginForm names the fields of a provider's login page by CSS selector.
type LoginForm struct {
	Username, Password, Submit string
}

// The login forms of the providers the harness knows.
var (
	// KeycloakLogin is Keycloak's login page (its default theme's ids).
	KeycloakLogin = LoginForm{Username: "#username", Password: "#password", Submit: "#kc-login"}
	// FixtureLogin is the OpenID provider fixture's login page.
	FixtureLogin = LoginForm{Username: "input[name=username]", Password: "input[name=password]", Submit: "button[type=submit]"}
)

// Login logs u in on the provider's login page that the browser shows, or
// is on its way to (after the app sent it there): it waits for the form,
// fills it, submits it, and waits until the redirects that follow land on
// a URL that starts with landing, which it returns. The password is never
// logged.
func Login(t testing.TB, b *harness.Browser, form LoginForm, u User, landing string) string {
	t.Helper()
	b.WaitVisible(t, form.Username)
	b.SendKeys(t, form.Username, u.Username)
	b.SendKeys(t, form.Password, u.Password)
	b.Click(t, form.Submit)
	return b.WaitLocation(t, landing)
}

// BrowserTokens runs the authorization-code flow with PKCE of client c in
// the browser: to the provider's authorization endpoint, through its login
// form as u, back to redirectURI, whose URL carries the code; the code is
// then exchanged and the ID token verified. The page at redirectURI need
// not exist: the browser only has to be sent there.
func (p *Provider) BrowserTokens(t testing.TB, b *harness.Browser, form LoginForm, c Client, redirectURI string, u User) *Tokens {
	t.Helper()
	a, err := p.AuthCode(c, redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	b.Navigate(t, a.URL)
	callback := Login(t, b, form, u, redirectURI)
	tok, err := p.Finish(t.Context(), a, callback)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// SetupUser is the user a dependency's setup step made, as its outputs
// "username" and "password" name it, with the rest of profile (e-mail,
// names) as the setup made it. A dependency without those outputs fails
// the test, naming it.
func SetupUser(t testing.TB, d harness.Dependency, profile User) User {
	t.Helper()
	profile.Username, profile.Password = d.Outputs["username"], d.Outputs["password"]
	if profile.Username == "" || profile.Password == "" {
		t.Fatalf("sso: the dependency on recipe %s has no username/password outputs (outputs: %d)", d.Recipe, len(d.Outputs))
	}
	return profile
}

// AppLogin is a login that starts on the app: the browser opens Start (a
// path of the app, e.g. its authenticate endpoint), the app sends it to the
// provider's login page, whose URL starts with ProviderPage, and back.
type AppLogin struct {
	Start        string
	ProviderPage string
	Form         LoginForm
}

// LoginThroughApp logs u in as l describes in a new browser and waits
// until the browser is back on the app; it returns the browser, with the
// app's session.
func LoginThroughApp(t testing.TB, env *harness.Env, l AppLogin, u User) *harness.Browser {
	t.Helper()
	b := env.Browser(t)
	b.Navigate(t, l.Start)
	b.WaitLocation(t, l.ProviderPage)
	Login(t, b, l.Form, u, env.BaseURL)
	return b
}
