package sso

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/internal/facts"
)

// localEnv is a harness Env for a provider on loopback: no ingress, so
// the browser goes straight to the provider (no proxy flags).
func localEnv(t *testing.T, base string) *harness.Env {
	t.Helper()
	return loadEnv(t, &facts.Facts{Recipe: "oidc-provider", Domain: "127.0.0.1", BaseURL: base, ProxyURL: "http://127.0.0.1:9", Out: t.TempDir()})
}

// The authorization-code flow with PKCE in real Chromium, through the
// fixture's login form.
func TestBrowserTokens(t *testing.T) {
	lp := startProvider(t)
	ctx := t.Context()
	hc := &http.Client{Timeout: 10 * time.Second}
	admin := NewFixture(hc, lp.issuer, lp.adminToken)
	realm, err := admin.CreateRealm(ctx, "browser")
	if err != nil {
		t.Fatal(err)
	}
	redirect := lp.issuer + "/test-callback"
	c, err := admin.CreateClient(ctx, realm, ClientSpec{ID: "spa", Public: true, RedirectURIs: []string{redirect}})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.CreateUser(ctx, realm, testUser); err != nil {
		t.Fatal(err)
	}
	p, err := Discover(ctx, hc, lp.issuer)
	if err != nil {
		t.Fatal(err)
	}

	b := localEnv(t, lp.issuer).Browser(t)
	b.Timeout = 30 * time.Second
	tok := p.BrowserTokens(t, b, FixtureLogin, c, redirect, testUser)
	if tok.IDToken == nil || tok.IDToken.Audience[0] != "spa" {
		t.Fatalf("tokens %+v", tok)
	}
	ui, err := p.UserInfo(ctx, tok.Token)
	if err != nil || ui.Name != testUser.Name() {
		t.Errorf("userinfo %+v, %v", ui, err)
	}
	if loc := b.Location(t); !strings.HasPrefix(loc, redirect+"?") {
		t.Errorf("the browser shows %s, want the redirect URI", loc)
	}
}
