package ssoadmin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Fixture is the Admin of recipe-test's OpenID provider fixture
// (testdata/images/oidc-provider, recipe testdata/recipes/oidc-provider):
// its admin API (/admin/...) with the token its recipe keeps in the swarm
// secret admin_token.
//
// The fixture has one issuer and no realms: a Realm here is a namespace
// whose clients and users DeleteRealm deletes.
type Fixture struct {
	api    restAPI
	issuer string
}

var _ Admin = (*Fixture)(nil)

// NewFixture returns the Admin of the fixture whose issuer is issuer (its
// base URL, e.g. "http://<domain>"), with its admin token, reached
// through hc.
func NewFixture(hc *http.Client, issuer, adminToken string) *Fixture {
	base := strings.TrimRight(issuer, "/")
	return &Fixture{issuer: issuer, api: restAPI{name: "fixture", hc: hc, base: base + "/admin",
		auth: func(context.Context) (string, error) { return "Bearer " + adminToken, nil }}}
}

// Backend is "fixture".
func (f *Fixture) Backend() string { return "fixture" }

// The fixture's admin API (testdata/images/oidc-provider/admin.go).
type (
	fxClient struct {
		ClientID               string   `json:"client_id"`
		ClientSecret           string   `json:"client_secret,omitempty"`
		Public                 bool     `json:"public"`
		RedirectURIs           []string `json:"redirect_uris"`
		PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	}
	fxUser struct {
		Username   string `json:"username"`
		Password   string `json:"password"`
		Email      string `json:"email,omitempty"`
		GivenName  string `json:"given_name,omitempty"`
		FamilyName string `json:"family_name,omitempty"`
	}
)

// CreateRealm makes no object: the fixture has one issuer (see Fixture).
func (f *Fixture) CreateRealm(_ context.Context, name string) (*Realm, error) {
	if name == "" {
		return nil, errors.New("sso: fixture: a realm needs a name")
	}
	return &Realm{Name: name, Issuer: f.issuer}, nil
}

// CreateClient registers a client (authorization code with PKCE, refresh
// and, for a confidential one, client credentials).
func (f *Fixture) CreateClient(ctx context.Context, r *Realm, spec ClientSpec) (Client, error) {
	if spec.ID == "" {
		return Client{}, errors.New("sso: fixture: a client needs an ID")
	}
	in := fxClient{ClientID: spec.ID, ClientSecret: spec.Secret, Public: spec.Public,
		RedirectURIs: nonNil(spec.RedirectURIs), PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs}
	var out fxClient
	if _, err := f.api.do(ctx, http.MethodPost, "/clients", in, &out, http.StatusCreated); err != nil {
		return Client{}, err
	}
	r.made(func(ctx context.Context) error {
		_, err := f.api.do(ctx, http.MethodDelete, "/clients/"+url.PathEscape(spec.ID), nil, nil, http.StatusNoContent)
		return err
	})
	if out.ClientID != spec.ID || (!spec.Public && out.ClientSecret == "") {
		return Client{}, fmt.Errorf("sso: fixture: client %s came back as %q, secret set: %t", spec.ID, out.ClientID, out.ClientSecret != "")
	}
	return Client{ID: out.ClientID, Secret: out.ClientSecret, Public: out.Public, Issuer: f.issuer, RedirectURIs: out.RedirectURIs}, nil
}

// CreateUser makes a user with a password.
func (f *Fixture) CreateUser(ctx context.Context, r *Realm, u User) error {
	if u.Username == "" || u.Password == "" {
		return fmt.Errorf("sso: fixture: user %q needs a username and a password", u.Username)
	}
	if _, err := f.api.do(ctx, http.MethodPost, "/users", fxUser(u), nil, http.StatusCreated); err != nil {
		return err
	}
	r.made(func(ctx context.Context) error {
		_, err := f.api.do(ctx, http.MethodDelete, "/users/"+url.PathEscape(u.Username), nil, nil, http.StatusNoContent)
		return err
	})
	return nil
}

// DeleteRealm deletes the clients and users made in the realm.
func (f *Fixture) DeleteRealm(ctx context.Context, r *Realm) error {
	return r.undoAll(ctx)
}
