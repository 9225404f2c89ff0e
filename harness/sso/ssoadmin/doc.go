// Package ssoadmin makes what a login needs in an identity provider,
// through the provider's own admin API: a realm (or the provider's
// nearest equivalent), a client (confidential or public, with its
// redirect URIs) and users with passwords. Backends: Keycloak (its admin
// REST API), authentik (its API v3) and Fixture (recipe-test's OpenID
// provider fixture, testdata/images/oidc-provider). Provision makes a
// realm, a client and users in one call.
//
// Recipe tests use it through package harness/sso, which re-exports it
// beside the generic OpenID Connect path and the browser flows. It is a
// package of its own, importing neither testing nor the harness nor a
// browser driver, so that recipe-test itself links it: a recipe.toml's
// [requires.sso] block sets a dependency up through it before the
// dependent app deploys.
package ssoadmin
