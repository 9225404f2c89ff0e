package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Metadata is the part of a provider's discovery document
// (/.well-known/openid-configuration, OpenID Connect Discovery 1.0 §3) that
// the harness acts on.
type Metadata struct {
	Issuer                        string   `json:"issuer"`
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	UserinfoEndpoint              string   `json:"userinfo_endpoint"`
	JWKSURI                       string   `json:"jwks_uri"`
	EndSessionEndpoint            string   `json:"end_session_endpoint"`
	RevocationEndpoint            string   `json:"revocation_endpoint"`
	ScopesSupported               []string `json:"scopes_supported"`
	ResponseTypesSupported        []string `json:"response_types_supported"`
	GrantTypesSupported           []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
}

// SupportsGrant reports whether the provider lists a grant type. A provider
// that lists none supports "authorization_code" and "implicit" (Discovery
// §3, grant_types_supported's default).
func (m Metadata) SupportsGrant(grant string) bool {
	if len(m.GrantTypesSupported) == 0 {
		return grant == "authorization_code" || grant == "implicit"
	}
	return slices.Contains(m.GrantTypesSupported, grant)
}

// ErrUnsupported is returned for a grant or an endpoint the provider's
// discovery document does not offer.
var ErrUnsupported = errors.New("not supported by the provider")

// Provider is an OpenID provider found by discovery: the generic OpenID
// Connect path, which works with any provider.
type Provider struct {
	// Metadata is the provider's discovery document.
	Metadata Metadata

	oidc *oidc.Provider
	hc   *http.Client
}

// DefaultScopes are asked for when a call names none.
var DefaultScopes = []string{oidc.ScopeOpenID, "profile", "email"}

// Discover reads the discovery document of issuer through hc and checks
// that it names issuer as its issuer (as every ID token must).
func Discover(ctx context.Context, hc *http.Client, issuer string) (*Provider, error) {
	if hc == nil {
		return nil, errors.New("sso: discover: an HTTP client is required")
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, hc), issuer)
	if err != nil {
		return nil, fmt.Errorf("sso: discover %s: %w", issuer, err)
	}
	var m Metadata
	if err := p.Claims(&m); err != nil {
		return nil, fmt.Errorf("sso: discover %s: %w", issuer, err)
	}
	if m.AuthorizationEndpoint == "" || m.TokenEndpoint == "" || m.JWKSURI == "" {
		return nil, fmt.Errorf("sso: discover %s: the document lacks authorization_endpoint, token_endpoint or jwks_uri", issuer)
	}
	return &Provider{Metadata: m, oidc: p, hc: hc}, nil
}

// Issuer is the provider's issuer identifier.
func (p *Provider) Issuer() string { return p.Metadata.Issuer }

// ctx carries the provider's HTTP client for oauth2 and go-oidc.
func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.hc)
}

// OAuth2 returns the OAuth 2.0 configuration of a client at this provider,
// with redirectURI (may be "" for grants without a redirect) and scopes
// (DefaultScopes when none).
func (p *Provider) OAuth2(c Client, redirectURI string, scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	return &oauth2.Config{
		ClientID:     c.ID,
		ClientSecret: c.Secret,
		Endpoint:     p.oidc.Endpoint(),
		RedirectURL:  redirectURI,
		Scopes:       scopes,
	}
}

// Tokens are what a token endpoint returned: the OAuth 2.0 token and, when
// the provider sent one, the verified ID token.
type Tokens struct {
	*oauth2.Token
	// RawIDToken is the ID token as sent ("" when none was).
	RawIDToken string
	// IDToken is RawIDToken verified for the client.
	IDToken *oidc.IDToken
}

// PasswordToken gets tokens for a user by the resource owner password
// credentials grant (Keycloak's "direct access grants"). It fails with
// ErrUnsupported when discovery does not list the grant.
func (p *Provider) PasswordToken(ctx context.Context, c Client, username, password string, scopes ...string) (*Tokens, error) {
	if !p.Metadata.SupportsGrant("password") {
		return nil, fmt.Errorf("sso: password grant at %s: %w (grant_types_supported: %s)", p.Issuer(), ErrUnsupported, strings.Join(p.Metadata.GrantTypesSupported, ", "))
	}
	tok, err := p.OAuth2(c, "", scopes...).PasswordCredentialsToken(p.ctx(ctx), username, password)
	if err != nil {
		return nil, fmt.Errorf("sso: password grant for client %s, user %s: %w", c.ID, username, err)
	}
	return p.tokens(ctx, c, tok, "")
}

// ClientCredentialsToken gets an access token for the client itself by the
// client credentials grant. It fails with ErrUnsupported when discovery
// does not list the grant.
func (p *Provider) ClientCredentialsToken(ctx context.Context, c Client, scopes ...string) (*oauth2.Token, error) {
	if !p.Metadata.SupportsGrant("client_credentials") {
		return nil, fmt.Errorf("sso: client credentials grant at %s: %w (grant_types_supported: %s)", p.Issuer(), ErrUnsupported, strings.Join(p.Metadata.GrantTypesSupported, ", "))
	}
	cfg := clientcredentials.Config{ClientID: c.ID, ClientSecret: c.Secret, TokenURL: p.Metadata.TokenEndpoint, Scopes: scopes}
	tok, err := cfg.Token(p.ctx(ctx))
	if err != nil {
		return nil, fmt.Errorf("sso: client credentials grant for client %s: %w", c.ID, err)
	}
	return tok, nil
}

// tokens verifies the ID token that came with tok, if any (and its nonce,
// when one was sent).
func (p *Provider) tokens(ctx context.Context, c Client, tok *oauth2.Token, nonce string) (*Tokens, error) {
	out := &Tokens{Token: tok}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return out, nil
	}
	id, err := p.VerifyIDToken(ctx, c, raw)
	if err != nil {
		return nil, err
	}
	if nonce != "" && id.Nonce != nonce {
		return nil, fmt.Errorf("sso: ID token for client %s: nonce %q, want the one sent", c.ID, id.Nonce)
	}
	out.RawIDToken, out.IDToken = raw, id
	return out, nil
}

// VerifyIDToken checks an ID token's signature (the provider's JWKS), its
// issuer, its audience (the client) and its expiry.
func (p *Provider) VerifyIDToken(ctx context.Context, c Client, raw string) (*oidc.IDToken, error) {
	id, err := p.oidc.Verifier(&oidc.Config{ClientID: c.ID}).Verify(p.ctx(ctx), raw)
	if err != nil {
		return nil, fmt.Errorf("sso: verifying the ID token for client %s: %w", c.ID, err)
	}
	return id, nil
}

// UserInfo are the claims of the userinfo endpoint.
type UserInfo struct {
	Subject           string `json:"sub"`
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	GivenName         string `json:"given_name"`
	FamilyName        string `json:"family_name"`
}

// UserInfo asks the userinfo endpoint who an access token belongs to.
func (p *Provider) UserInfo(ctx context.Context, tok *oauth2.Token) (*UserInfo, error) {
	if p.Metadata.UserinfoEndpoint == "" {
		return nil, fmt.Errorf("sso: userinfo at %s: %w", p.Issuer(), ErrUnsupported)
	}
	ui, err := p.oidc.UserInfo(p.ctx(ctx), oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, fmt.Errorf("sso: userinfo at %s: %w", p.Issuer(), err)
	}
	var out UserInfo
	if err := ui.Claims(&out); err != nil {
		return nil, fmt.Errorf("sso: userinfo at %s: %w", p.Issuer(), err)
	}
	return &out, nil
}
