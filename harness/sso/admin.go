package sso

import (
	"context"
	"net/http"

	"github.com/cc-ci/recipe-test/v2/harness/sso/ssoadmin"
)

// The admin half lives in package ssoadmin, which recipe-test itself
// links (a recipe.toml's [requires.sso] block); these names keep it part
// of this package's API.
type (
	// Admin makes what a test needs in an identity provider: see
	// ssoadmin.Admin.
	Admin = ssoadmin.Admin
	// Realm is a realm (or a backend's namespace) made by CreateRealm.
	Realm = ssoadmin.Realm
	// ClientSpec is a client to register.
	ClientSpec = ssoadmin.ClientSpec
	// Client is a registered client, as the flows use it.
	Client = ssoadmin.Client
	// User is an account at the provider.
	User = ssoadmin.User
	// APIError is an admin API's answer with an unexpected status.
	APIError = ssoadmin.APIError
	// Keycloak is the Admin of a Keycloak server.
	Keycloak = ssoadmin.Keycloak
	// Authentik is the Admin of an authentik server.
	Authentik = ssoadmin.Authentik
	// Fixture is the Admin of recipe-test's OpenID provider fixture.
	Fixture = ssoadmin.Fixture
	// Plan is what Provision makes.
	Plan = ssoadmin.Plan
	// Credentials are what Open gives a backend's admin API.
	Credentials = ssoadmin.Credentials
	// Provisioned is what Provision made.
	Provisioned = ssoadmin.Provisioned
)

// NewKeycloak returns the Admin of the Keycloak at baseURL, as the master
// realm's administrator: see ssoadmin.NewKeycloak.
func NewKeycloak(hc *http.Client, baseURL, username, password string) *Keycloak {
	return ssoadmin.NewKeycloak(hc, baseURL, username, password)
}

// NewAuthentik returns the Admin of the authentik at baseURL with an API
// token: see ssoadmin.NewAuthentik.
func NewAuthentik(hc *http.Client, baseURL, token string) *Authentik {
	return ssoadmin.NewAuthentik(hc, baseURL, token)
}

// NewFixture returns the Admin of the fixture whose issuer is issuer:
// see ssoadmin.NewFixture.
func NewFixture(hc *http.Client, issuer, adminToken string) *Fixture {
	return ssoadmin.NewFixture(hc, issuer, adminToken)
}

// Open returns the Admin of a provider of kind backend ("keycloak",
// "authentik", "fixture"): see ssoadmin.Open.
func Open(backend string, hc *http.Client, baseURL string, c Credentials) (Admin, error) {
	return ssoadmin.Open(backend, hc, baseURL, c)
}

// Provision makes a realm, a client and users in one call: see
// ssoadmin.Provision.
func Provision(ctx context.Context, a Admin, p Plan) (*Provisioned, error) {
	return ssoadmin.Provision(ctx, a, p)
}
