// Package sso is the harness for recipes that log in through an identity
// provider (an OpenID Connect provider such as Keycloak or authentik).
//
// It has two halves:
//
//   - Provider, found by discovery (/.well-known/openid-configuration) at
//     any issuer: the generic OpenID Connect path, for any provider. It gets
//     tokens by the password grant (where the provider allows it), by client
//     credentials, and by the authorization-code flow with PKCE (AuthCode,
//     driven in Chromium by Login and BrowserTokens); it reads the userinfo
//     endpoint, verifies ID tokens and logs out (RP-initiated logout).
//     OAuth 2.0 is golang.org/x/oauth2's, OpenID Connect is
//     github.com/coreos/go-oidc's.
//   - Admin, what a test needs made in a provider before it can log in: a
//     realm (or the provider's nearest equivalent), a client (confidential or
//     public, with its redirect URIs) and a user with a password. Backends:
//     Keycloak (its admin REST API), authentik (its API v3) and Fixture (the
//     recipe-test OpenID provider fixture, testdata/images/oidc-provider).
//     They live in package ssoadmin, which recipe-test itself links for a
//     recipe.toml's [requires.sso] block; this package names them too.
//
// A test makes what it needs with an Admin, discovers the issuer of the
// client it made, and logs in:
//
//	admin := sso.NewKeycloak(hc, "https://"+kcDomain, "admin", adminPassword)
//	realm, _ := admin.CreateRealm(ctx, "recipe-test")
//	client, _ := admin.CreateClient(ctx, realm, sso.ClientSpec{ID: "app", RedirectURIs: []string{appURL + "/callback"}})
//	_ = admin.CreateUser(ctx, realm, user)
//	p, _ := sso.Discover(ctx, hc, client.Issuer)
//	tokens, _ := p.ClientCredentialsToken(ctx, client)
//
// Every HTTP request goes through the *http.Client the caller passes: in a
// recipe test, one through the run's ingress (harness.Env.HTTPClient), so
// that the provider is reached by its domain as the browser reaches it.
//
// It is a package of its own, beside the harness, so that recipe tests that
// need no identity provider do not link its dependencies.
package sso
