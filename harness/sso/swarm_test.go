package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	composetypes "github.com/docker/cli/cli/compose/types"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/internal/facts"
	"github.com/cc-ci/recipe-test/v2/internal/ingress"
	"github.com/cc-ci/recipe-test/v2/internal/naming"
	"github.com/cc-ci/recipe-test/v2/internal/recipe"
	"github.com/cc-ci/recipe-test/v2/internal/swarm"
	"github.com/cc-ci/recipe-test/v2/internal/swarm/swarmtest"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The provider fixture and the OIDC-protected app deployed as two stacks
// on the real swarm, the way a run with a dependency will deploy them:
// the provider first, its client and user made through its admin API,
// then the app with the client's secret; a login in real Chromium lands
// on the app's page with the user's name.
//
// How the pieces reach each other (the dependency lifecycle is to carry
// this over):
//   - The test and Chromium reach both domains through one proxy that
//     sends each domain to its stack's direct ingress (a run's ingress
//     serves one app's domain today).
//   - The app's container reaches the issuer URL http://<provider domain>
//     itself (discovery, code exchange, keys) by Docker's DNS: the
//     provider's service joins the shared proxy network with a network
//     alias equal to its domain (endpoint_mode dnsrr, so the alias
//     resolves to the task) and listens on port 80, the port of an http
//     URL. The alias is added to the resolved compose model here, not in
//     the recipe: behind Traefik the domain must keep resolving to Traefik.

// deployed is one fixture recipe deployed and converged, with its ingress.
type deployed struct {
	app     *recipe.App
	ing     ingress.Ingress
	secrets map[string]string // by compose secret name
}

// deployFixture resolves testdata/recipes/<name> for a fresh domain under
// suffix with env, lets edit change the compose model, deploys it with the
// given secret values (by compose name), waits for it to converge and
// opens its direct ingress. When t ends the ingress closes and the stack
// is removed, leaving nothing behind (checked).
func deployFixture(t *testing.T, c *swarm.Client, name string, env map[string]string, edit func(*recipe.App), secrets map[string]string) *deployed {
	t.Helper()
	ctx := t.Context()
	r, err := recipe.LoadDir(filepath.Join(testenv.RepoRoot(t), "testdata", "recipes", name))
	if err != nil {
		t.Fatal(err)
	}
	id, err := naming.NewRunID(nil)
	if err != nil {
		t.Fatal(err)
	}
	domain, err := naming.Domain(name, id, "sso.test")
	if err != nil {
		t.Fatal(err)
	}
	app, err := r.Resolve(recipe.ResolveOptions{Domain: domain, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(app)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := c.Remove(ctx, app.Stack, func(s string) { t.Log(s) }); err != nil {
			t.Errorf("removing stack %s: %v", app.Stack, err)
		}
		swarmtest.AssertNoResidue(t, c.API, app.Stack)
	})
	values := map[string]string{}
	for _, s := range app.Secrets {
		if v, ok := secrets[s.Name]; ok {
			values[s.FullName] = v
		}
	}
	dep, err := c.Deploy(ctx, app, swarm.DeployOptions{RunID: id, Secrets: values})
	if err != nil {
		t.Fatalf("deploy %s: %v", name, err)
	}
	if err := c.Converge(ctx, app, 3*time.Minute, func(s string) { t.Log(s) }); err != nil {
		t.Fatalf("converge %s: %v", name, err)
	}
	ing, err := ingress.NewDirect(ctx, app, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ing.Close() })
	d := &deployed{app: app, ing: ing, secrets: map[string]string{}}
	for _, s := range app.Secrets {
		if v, ok := dep.Secrets[s.FullName]; ok {
			d.secrets[s.Name] = v
		}
	}
	return d
}

// aliasDomain gives the service a network alias equal to the app's domain
// on the shared proxy network, so that containers on that network reach
// http://<domain> at the service's task.
func aliasDomain(service string) func(*recipe.App) {
	return func(app *recipe.App) {
		i := slices.IndexFunc(app.Compose.Services, func(s composetypes.ServiceConfig) bool { return s.Name == service })
		if i < 0 {
			panic("no service " + service)
		}
		nets := app.Compose.Services[i].Networks
		cfg := nets["proxy"]
		if cfg == nil {
			cfg = &composetypes.ServiceNetworkConfig{}
		}
		cfg.Aliases = append(cfg.Aliases, app.Domain)
		nets["proxy"] = cfg
	}
}

// domainsProxy is one HTTP proxy for the test and Chromium that sends each
// run domain to the direct ingress serving it and refuses anything else.
type domainsProxy struct {
	*httptest.Server
	mu       sync.Mutex
	byDomain map[string]ingress.Ingress
}

// add serves the app's domain through its ingress.
func (p *domainsProxy) add(d *deployed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.byDomain[d.app.Domain] = d.ing
}

func newDomainsProxy(t *testing.T) *domainsProxy {
	t.Helper()
	p := &domainsProxy{byDomain: map[string]ingress.Ingress{}}
	tr := &http.Transport{Proxy: func(r *http.Request) (*url.URL, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		ing, ok := p.byDomain[r.URL.Hostname()]
		if !ok {
			return nil, fmt.Errorf("%s is not a domain of this test", r.URL.Host)
		}
		return ing.ProxyURL(), nil
	}}
	t.Cleanup(tr.CloseIdleConnections)
	p.Server = httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.Out.Host = pr.In.Host }, // the URL is absolute already
		Transport: tr,
	})
	t.Cleanup(p.Close)
	return p
}

func TestSwarmProviderAndApp(t *testing.T) {
	testenv.Swarm(t)
	testenv.FixtureImage(t, "oidc-provider", "1")
	testenv.FixtureImage(t, "oidc-app", "1")
	ctx := t.Context()
	c, err := swarm.Connect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	// The provider first: its issuer is http://<its domain>.
	prov := deployFixture(t, c, "oidc-provider", map[string]string{"ISSUER_SCHEME": "http"}, aliasDomain("app"), nil)
	issuer := "http://" + prov.app.Domain
	adminToken := prov.secrets["admin_token"]
	if adminToken == "" {
		t.Fatal("the run generated no admin_token")
	}

	// The harness's view: facts whose proxy reaches both domains.
	proxy := newDomainsProxy(t)
	proxy.add(prov)
	env := facts.Facts{Recipe: "oidc-app", Domain: prov.app.Domain, BaseURL: issuer, ProxyURL: proxy.URL,
		BrowserFlags: []string{"--proxy-server=" + proxy.URL, "--proxy-bypass-list=<-loopback>"}, Out: t.TempDir()}
	e := loadEnv(t, &env)
	hc := e.HTTPClient()

	// Discovery through the ingress, as the browser sees the provider.
	p, err := Discover(ctx, hc, issuer)
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer() != issuer || !p.Metadata.SupportsGrant("client_credentials") {
		t.Fatalf("discovery: %+v", p.Metadata)
	}

	// A user and a client of the test's own, through the admin API.
	admin := NewFixture(hc, issuer, adminToken)
	realm, err := admin.CreateRealm(ctx, "swarm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := admin.DeleteRealm(context.Background(), realm); err != nil {
			t.Errorf("DeleteRealm: %v", err)
		}
	})
	user := User{Username: "ada", Password: e.Credential(t, "ada"), Email: "ada@example.org", GivenName: "Ada", FamilyName: "Lovelace"}
	if err := admin.CreateUser(ctx, realm, user); err != nil {
		t.Fatal(err)
	}
	testRedirect := issuer + "/recipe-test/callback"
	testClient, err := admin.CreateClient(ctx, realm, ClientSpec{ID: "recipe-test", Public: true, RedirectURIs: []string{testRedirect}})
	if err != nil {
		t.Fatal(err)
	}
	secret := e.Credential(t, "client-secret")

	// The app's client needs the app's domain, which deployFixture draws:
	// the client is registered in the edit hook, before the app deploys.
	var appClient Client
	registerClient := func(app *recipe.App) {
		base := "http://" + app.Domain
		appClient, err = admin.CreateClient(ctx, realm, ClientSpec{ID: "oidc-app", Secret: secret,
			RedirectURIs: []string{base + "/callback"}, PostLogoutRedirectURIs: []string{base + "/"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	app := deployFixture(t, c, "oidc-app",
		map[string]string{"APP_SCHEME": "http", "OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": "oidc-app"},
		registerClient, map[string]string{"client_secret": secret})
	proxy.add(app)
	appBase := "http://" + app.app.Domain

	t.Run("ClientCredentials", func(t *testing.T) {
		tok, err := p.ClientCredentialsToken(ctx, appClient)
		if err != nil || tok.AccessToken == "" {
			t.Fatalf("token %+v, %v", tok, err)
		}
		if _, err := p.PasswordToken(ctx, appClient, user.Username, user.Password); !errors.Is(err, ErrUnsupported) {
			t.Errorf("password grant: %v, want ErrUnsupported (zitadel's op has none)", err)
		}
	})

	var browserTokens *Tokens
	t.Run("BrowserTokensAndUserinfo", func(t *testing.T) {
		b := e.Browser(t)
		browserTokens = p.BrowserTokens(t, b, FixtureLogin, testClient, testRedirect, user)
		ui, err := p.UserInfo(ctx, browserTokens.Token)
		if err != nil {
			t.Fatal(err)
		}
		if ui.Name != "Ada Lovelace" || ui.PreferredUsername != "ada" || ui.Email != user.Email {
			t.Errorf("userinfo %+v", ui)
		}
	})

	t.Run("Unauthenticated", func(t *testing.T) {
		for path, want := range map[string]int{"/": http.StatusFound, "/api/me": http.StatusUnauthorized} {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, appBase+path, nil)
			noRedirect := *hc
			noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want || (want == http.StatusFound && resp.Header.Get("Location") != "/login") {
				t.Errorf("GET %s without a login: %s, Location %q; want %d", path, resp.Status, resp.Header.Get("Location"), want)
			}
		}
	})

	t.Run("LoginOnTheApp", func(t *testing.T) {
		b := e.Browser(t)
		// The app sends the browser to the provider's login form.
		b.Navigate(t, appBase+"/")
		if loc := b.Location(t); !strings.HasPrefix(loc, issuer+"/login?") {
			t.Fatalf("the app's page without a login shows %s, want the provider's login form", loc)
		}
		// A wrong password stays on the form, saying so.
		wrong := user
		wrong.Password = "not-" + user.Password
		b.SendKeys(t, FixtureLogin.Username, wrong.Username)
		b.SendKeys(t, FixtureLogin.Password, wrong.Password)
		b.Click(t, FixtureLogin.Submit)
		b.WaitVisible(t, "#error")
		if msg := b.Text(t, "#error"); !strings.Contains(msg, "invalid username or password") {
			t.Errorf("wrong password: the form says %q", msg)
		}
		b.Navigate(t, appBase+"/")
		Login(t, b, FixtureLogin, user, appBase+"/")
		b.WaitVisible(t, "#user")
		if got := b.Text(t, "#user"); got != "Ada Lovelace" {
			t.Errorf("the app's page names %q, want %q", got, "Ada Lovelace")
		}
		if loc := b.Location(t); loc != appBase+"/" {
			t.Errorf("landed on %s, want %s/", loc, appBase)
		}
		b.Screenshot(t, "oidc-app-logged-in")

		// Logout ends the session at the app and at the provider, which
		// sends the browser back to the app, which sends it to the login.
		b.Click(t, "#logout")
		b.WaitLocation(t, issuer+"/login?")
		b.WaitVisible(t, FixtureLogin.Username)
		if errs := b.ConsoleErrors(); len(errs) > 0 {
			t.Logf("console errors (not failing): %v", errs)
		}
	})

	t.Run("LogoutRevokes", func(t *testing.T) {
		if browserTokens == nil {
			t.Skip("no tokens from the browser login")
		}
		if _, err := p.Logout(ctx, browserTokens.RawIDToken, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := p.UserInfo(ctx, browserTokens.Token); err == nil {
			t.Error("userinfo answers for a token of a logged-out session")
		}
	})
}

// loadEnv writes f as the test's facts (with a mask file, as the runner
// makes it) and loads the harness Env from them.
func loadEnv(t *testing.T, f *facts.Facts) *harness.Env {
	t.Helper()
	dir := t.TempDir()
	f.MaskFile = filepath.Join(dir, "masks")
	if err := os.WriteFile(f.MaskFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "facts.json")
	if err := facts.Write(path, f); err != nil {
		t.Fatal(err)
	}
	t.Setenv(harness.FactsEnv, path)
	return harness.Load(t)
}
