package sso

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness/sso/ssoadmin"
	"github.com/cc-ci/recipe-test/v2/internal/testenv"
)

// The generic OpenID Connect path and the Fixture backend against the real
// OpenID provider fixture (testdata/images/oidc-provider, zitadel's op),
// built from its sources and run here as a process.

var providerBuild struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// providerBinary builds the fixture once per test binary.
func providerBinary(t *testing.T) string {
	t.Helper()
	src := filepath.Join(testenv.RepoRoot(t), "testdata", "images", "oidc-provider")
	providerBuild.once.Do(func() {
		providerBuild.dir, providerBuild.err = os.MkdirTemp("", "recipe-test-oidc-provider-")
		if providerBuild.err != nil {
			return
		}
		providerBuild.bin = filepath.Join(providerBuild.dir, "oidc-provider")
		cmd := exec.Command("go", "build", "-o", providerBuild.bin, ".") // go test puts its own toolchain first in PATH
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			providerBuild.err = fmt.Errorf("go build in %s: %v\n%s", src, err, out)
		}
	})
	if providerBuild.err != nil {
		t.Fatal(providerBuild.err)
	}
	return providerBuild.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if providerBuild.dir != "" {
		os.RemoveAll(providerBuild.dir)
	}
	os.Exit(code)
}

// localProvider is the fixture running as a process of the test.
type localProvider struct {
	issuer, adminToken string
	log                *testenv.Buffer
}

// startProvider runs the fixture on a free loopback port with issuer
// http://127.0.0.1:<port>, until the test ends.
func startProvider(t *testing.T) *localProvider {
	t.Helper()
	bin := providerBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p := &localProvider{issuer: fmt.Sprintf("http://127.0.0.1:%d", port), adminToken: "fixture-admin-token-" + randomID(), log: &testenv.Buffer{}}
	tokenFile := filepath.Join(t.TempDir(), "admin_token")
	if err := os.WriteFile(tokenFile, []byte(p.adminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"ISSUER=" + p.issuer, fmt.Sprintf("PORT=%d", port), "ADMIN_TOKEN_FILE=" + tokenFile}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("oidc-provider log:\n%s", p.log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(p.issuer + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("oidc-provider did not answer /healthz within 15s: %v\n%s", err, p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpLogin follows an authorization request as a browser without
// JavaScript would: to the login form, posting the credentials, and on
// through the redirects until the redirect URI, whose URL it returns. A
// refused login returns the login page's status and body as an error.
func httpLogin(ctx context.Context, a *AuthCode, username, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	var landed string
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), a.RedirectURI) {
			landed = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/login" {
		return "", fmt.Errorf("authorization request ended at %s with %s, not at the login form", resp.Request.URL, resp.Status)
	}
	form := url.Values{"id": {resp.Request.URL.Query().Get("authRequestID")}, "username": {username}, "password": {password}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, resp.Request.URL.Scheme+"://"+resp.Request.URL.Host+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if landed == "" {
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		return "", fmt.Errorf("login answered %s: %s", resp.Status, ssoadmin.Excerpt(body.Bytes()))
	}
	return landed, nil
}

func TestFixtureProvider(t *testing.T) {
	lp := startProvider(t)
	ctx := t.Context()
	hc := &http.Client{Timeout: 10 * time.Second}

	p, err := Discover(ctx, hc, lp.issuer)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Metadata
	if m.Issuer != lp.issuer || m.EndSessionEndpoint == "" || m.UserinfoEndpoint == "" ||
		!m.SupportsGrant("authorization_code") || !m.SupportsGrant("client_credentials") || m.SupportsGrant("password") {
		t.Errorf("discovery: %+v", m)
	}

	admin := NewFixture(hc, lp.issuer, lp.adminToken)
	realm, err := admin.CreateRealm(ctx, "unit")
	if err != nil {
		t.Fatal(err)
	}
	redirect := lp.issuer + "/test-callback"
	conf, err := admin.CreateClient(ctx, realm, ClientSpec{ID: "conf", RedirectURIs: []string{redirect}, PostLogoutRedirectURIs: []string{lp.issuer + "/bye"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := admin.CreateClient(ctx, realm, ClientSpec{ID: "pub", Public: true, RedirectURIs: []string{redirect}})
	if err != nil {
		t.Fatal(err)
	}
	if conf.Secret == "" || conf.Issuer != lp.issuer || pub.Secret != "" || !pub.Public {
		t.Errorf("clients: %+v, %+v", conf, pub)
	}
	if err := admin.CreateUser(ctx, realm, testUser); err != nil {
		t.Fatal(err)
	}

	t.Run("ClientCredentials", func(t *testing.T) {
		tok, err := p.ClientCredentialsToken(ctx, conf)
		if err != nil || tok.AccessToken == "" {
			t.Fatalf("token %+v, %v", tok, err)
		}
		// The token is the client's own: no user to describe.
		if ui, err := p.UserInfo(ctx, tok); err == nil {
			t.Errorf("userinfo of a client credentials token: %+v", ui)
		}
		bad := conf
		bad.Secret = "wrong"
		if _, err := p.ClientCredentialsToken(ctx, bad); err == nil || !strings.Contains(err.Error(), "invalid_client") {
			t.Errorf("wrong secret: %v", err)
		}
		if _, err := p.ClientCredentialsToken(ctx, pub); err == nil {
			t.Error("a public client got a client credentials token")
		}
	})

	t.Run("PasswordGrantUnsupported", func(t *testing.T) {
		if _, err := p.PasswordToken(ctx, conf, testUser.Username, testUser.Password); !errors.Is(err, ErrUnsupported) {
			t.Errorf("password grant: %v, want ErrUnsupported", err)
		}
	})

	for _, c := range []Client{conf, pub} {
		t.Run("AuthCode/"+c.ID, func(t *testing.T) {
			a, err := p.AuthCode(c, redirect)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(a.URL, "code_challenge_method=S256") || !strings.Contains(a.URL, "nonce=") {
				t.Errorf("authorization URL %s", a.URL)
			}
			if _, err := httpLogin(ctx, a, testUser.Username, "wrong"); err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "invalid username or password") {
				t.Errorf("wrong password: %v", err)
			}
			callback, err := httpLogin(ctx, a, testUser.Username, testUser.Password)
			if err != nil {
				t.Fatal(err)
			}
			// A callback that is not this request's is refused before any exchange.
			if _, err := p.Finish(ctx, a, strings.Replace(callback, "state=", "state=x", 1)); err == nil || !strings.Contains(err.Error(), "state") {
				t.Errorf("forged state: %v", err)
			}
			tok, err := p.Finish(ctx, a, callback)
			if err != nil {
				t.Fatal(err)
			}
			var claims struct {
				Name string `json:"name"`
			}
			if err := tok.IDToken.Claims(&claims); err != nil || claims.Name != testUser.Name() || tok.IDToken.Audience[0] != c.ID {
				t.Errorf("ID token: aud %v, name %q, %v", tok.IDToken.Audience, claims.Name, err)
			}
			ui, err := p.UserInfo(ctx, tok.Token)
			if err != nil {
				t.Fatal(err)
			}
			if ui.Name != "Ada Lovelace" || ui.PreferredUsername != "ada" || ui.Email != testUser.Email || ui.Subject != tok.IDToken.Subject {
				t.Errorf("userinfo %+v", ui)
			}
			// The code is spent.
			if _, err := p.Finish(ctx, a, callback); err == nil {
				t.Error("the same code was exchanged twice")
			}
			if c.Public {
				return
			}
			// Logout ends the session: the provider drops the user's tokens.
			to, err := p.Logout(ctx, tok.RawIDToken, lp.issuer+"/bye")
			if err != nil || to != lp.issuer+"/bye" {
				t.Fatalf("logout: redirect to %q, %v", to, err)
			}
			if _, err := p.UserInfo(ctx, tok.Token); err == nil {
				t.Error("userinfo still answers for a token of a logged-out session")
			}
			if _, err := p.Logout(ctx, tok.RawIDToken, "http://elsewhere.example/"); err == nil {
				t.Error("logout sent the browser to an unregistered post-logout redirect URI")
			}
		})
	}

	t.Run("AdminErrors", func(t *testing.T) {
		var apiErr *APIError
		if _, err := NewFixture(hc, lp.issuer, "wrong-token").CreateClient(ctx, realm, ClientSpec{ID: "x"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
			t.Errorf("wrong admin token: %v", err)
		}
		if _, err := admin.CreateClient(ctx, realm, ClientSpec{ID: "conf"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
			t.Errorf("second client conf: %v", err)
		}
		if _, err := admin.CreateClient(ctx, realm, ClientSpec{ID: "rel", RedirectURIs: []string{"/relative"}}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "redirect_uris") {
			t.Errorf("relative redirect URI: %v", err)
		}
		if err := admin.CreateUser(ctx, realm, testUser); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
			t.Errorf("second user ada: %v", err)
		}
	})

	// DeleteRealm removes the clients and the user: both stop working.
	if err := admin.DeleteRealm(ctx, realm); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ClientCredentialsToken(ctx, conf); err == nil {
		t.Error("a deleted client still gets tokens")
	}
	if _, err := admin.CreateClient(ctx, realm, ClientSpec{ID: "conf", RedirectURIs: []string{redirect}}); err != nil {
		t.Errorf("the client's id is not free again after DeleteRealm: %v", err)
	}
	if err := admin.CreateUser(ctx, realm, testUser); err != nil {
		t.Errorf("the user's name is not free again after DeleteRealm: %v", err)
	}
}
