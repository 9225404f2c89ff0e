package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cc-ci/recipe-test/v2/harness/sso/ssoadmin"
)

// AuthCode is one authorization-code request with PKCE (RFC 7636, S256):
// the URL to send the browser to, and what the answer is checked against.
type AuthCode struct {
	// URL is the provider's authorization endpoint with the request.
	URL string
	// RedirectURI is where the provider sends the browser back with the
	// code.
	RedirectURI string
	// State, Nonce and Verifier are this request's own random values.
	State, Nonce, Verifier string

	client Client
	config *oauth2.Config
}

// AuthCode starts an authorization-code request of client c with PKCE,
// coming back to redirectURI (which the client must have registered).
// It fails with ErrUnsupported when the provider does not list S256 among
// its code challenge methods.
func (p *Provider) AuthCode(c Client, redirectURI string, scopes ...string) (*AuthCode, error) {
	if !slices.Contains(p.Metadata.CodeChallengeMethodsSupported, "S256") {
		return nil, fmt.Errorf("sso: PKCE at %s: S256 %w (code_challenge_methods_supported: %s)", p.Issuer(), ErrUnsupported, strings.Join(p.Metadata.CodeChallengeMethodsSupported, ", "))
	}
	state, err := randomString()
	if err != nil {
		return nil, err
	}
	nonce, err := randomString()
	if err != nil {
		return nil, err
	}
	cfg := p.OAuth2(c, redirectURI, scopes...)
	a := &AuthCode{RedirectURI: redirectURI, State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), client: c, config: cfg}
	a.URL = cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(a.Verifier))
	return a, nil
}

// Finish takes the URL the provider redirected the browser to, checks its
// state, exchanges its code (with the PKCE verifier) and verifies the ID
// token and its nonce.
func (p *Provider) Finish(ctx context.Context, a *AuthCode, callback string) (*Tokens, error) {
	u, err := url.Parse(callback)
	if err != nil {
		return nil, fmt.Errorf("sso: callback URL: %w", err)
	}
	if !strings.HasPrefix(callback, a.RedirectURI) {
		return nil, fmt.Errorf("sso: callback %s is not at the redirect URI %s", u.Redacted(), a.RedirectURI)
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("sso: the provider answered the authorization request with %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != a.State {
		return nil, fmt.Errorf("sso: callback state %q, want the one sent", q.Get("state"))
	}
	code := q.Get("code")
	if code == "" {
		return nil, fmt.Errorf("sso: callback to %s carries no code", a.RedirectURI)
	}
	tok, err := a.config.Exchange(p.ctx(ctx), code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return nil, fmt.Errorf("sso: exchanging the code for client %s: %w", a.client.ID, err)
	}
	out, err := p.tokens(ctx, a.client, tok, a.Nonce)
	if err != nil {
		return nil, err
	}
	if out.IDToken == nil {
		return nil, fmt.Errorf("sso: the token response for client %s has no ID token (was scope openid asked for?)", a.client.ID)
	}
	return out, nil
}

// LogoutURL is the provider's end-session endpoint (RP-initiated logout)
// with the ID token as hint, sending the browser on to postLogout
// afterwards ("" for the provider's default), with state when not "".
func (p *Provider) LogoutURL(idToken, postLogout, state string) (string, error) {
	if p.Metadata.EndSessionEndpoint == "" {
		return "", fmt.Errorf("sso: logout at %s: end_session_endpoint %w", p.Issuer(), ErrUnsupported)
	}
	u, err := url.Parse(p.Metadata.EndSessionEndpoint)
	if err != nil {
		return "", fmt.Errorf("sso: end_session_endpoint: %w", err)
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	if postLogout != "" {
		q.Set("post_logout_redirect_uri", postLogout)
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Logout ends the session of an ID token at the provider from the back
// (the request a browser would make, without following its redirect). It
// returns where the provider would send the browser.
func (p *Provider) Logout(ctx context.Context, idToken, postLogout string) (string, error) {
	u, err := p.LogoutURL(idToken, postLogout, "")
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("sso: logout: %w", err)
	}
	hc := *p.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("sso: logout at %s: %w", p.Metadata.EndSessionEndpoint, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp.Header.Get("Location"), nil
	case resp.StatusCode == http.StatusOK:
		return "", nil
	}
	return "", fmt.Errorf("sso: logout at %s: %s: %s", p.Metadata.EndSessionEndpoint, resp.Status, ssoadmin.Excerpt(body))
}

// randomString is 32 random bytes, URL-safe.
func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sso: reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
