package ssoadmin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"golang.org/x/oauth2"
)

// Keycloak is the Admin of a Keycloak server, through its admin REST API
// (/admin/realms/...), as an administrator of its master realm: the token
// comes from the master realm's admin-cli client by the password grant,
// as Keycloak's own kcadm.sh gets it.
type Keycloak struct {
	api restAPI
	// tokenURL and the credentials get the admin's access token.
	tokenURL           string
	username, password string

	mu  sync.Mutex
	tok *oauth2.Token
}

var _ Admin = (*Keycloak)(nil)

// NewKeycloak returns the Admin of the Keycloak at baseURL (e.g.
// "https://sso.example.com", or ".../auth" for Keycloak before 17), as the
// master realm's administrator username with password, reached through hc.
func NewKeycloak(hc *http.Client, baseURL, username, password string) *Keycloak {
	base := strings.TrimRight(baseURL, "/")
	k := &Keycloak{tokenURL: base + "/realms/master/protocol/openid-connect/token", username: username, password: password}
	k.api = restAPI{name: "keycloak", hc: hc, base: base + "/admin", auth: k.bearer}
	return k
}

// Backend is "keycloak".
func (k *Keycloak) Backend() string { return "keycloak" }

// bearer returns the admin's access token, getting a new one when there is
// none or it expired.
func (k *Keycloak) bearer(ctx context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tok.Valid() {
		return "Bearer " + k.tok.AccessToken, nil
	}
	cfg := oauth2.Config{ClientID: "admin-cli", Endpoint: oauth2.Endpoint{TokenURL: k.tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := cfg.PasswordCredentialsToken(context.WithValue(ctx, oauth2.HTTPClient, k.api.hc), k.username, k.password)
	if err != nil {
		return "", fmt.Errorf("admin token for %s from %s: %w", k.username, k.tokenURL, err)
	}
	k.tok = tok
	return "Bearer " + tok.AccessToken, nil
}

// Keycloak's representations (org.keycloak.representations.idm), the
// fields the harness sets.
type (
	kcRealm struct {
		Realm   string `json:"realm"`
		Enabled bool   `json:"enabled"`
	}
	kcClient struct {
		ClientID                  string            `json:"clientId"`
		Name                      string            `json:"name,omitempty"`
		Enabled                   bool              `json:"enabled"`
		Protocol                  string            `json:"protocol"`
		PublicClient              bool              `json:"publicClient"`
		ClientAuthenticatorType   string            `json:"clientAuthenticatorType,omitempty"`
		Secret                    string            `json:"secret,omitempty"`
		RedirectURIs              []string          `json:"redirectUris"`
		StandardFlowEnabled       bool              `json:"standardFlowEnabled"`
		DirectAccessGrantsEnabled bool              `json:"directAccessGrantsEnabled"`
		ServiceAccountsEnabled    bool              `json:"serviceAccountsEnabled"`
		Attributes                map[string]string `json:"attributes,omitempty"`
	}
	kcCredential struct {
		Type      string `json:"type"`
		Value     string `json:"value"`
		Temporary bool   `json:"temporary"`
	}
	kcUser struct {
		Username      string         `json:"username"`
		Enabled       bool           `json:"enabled"`
		Email         string         `json:"email"`
		EmailVerified bool           `json:"emailVerified"`
		FirstName     string         `json:"firstName"`
		LastName      string         `json:"lastName"`
		Credentials   []kcCredential `json:"credentials"`
	}
)

// issuer is a realm's issuer: <base>/realms/<realm>.
func (k *Keycloak) issuer(realm string) string {
	return strings.TrimSuffix(k.api.base, "/admin") + "/realms/" + url.PathEscape(realm)
}

// realmPath is /realms/<realm> under the admin API.
func realmPath(realm string) string { return "/realms/" + url.PathEscape(realm) }

// CreateRealm makes an enabled realm; its issuer is <base>/realms/<name>.
func (k *Keycloak) CreateRealm(ctx context.Context, name string) (*Realm, error) {
	if name == "" {
		return nil, errors.New("sso: keycloak: a realm needs a name")
	}
	if _, err := k.api.do(ctx, http.MethodPost, "/realms", kcRealm{Realm: name, Enabled: true}, nil, http.StatusCreated); err != nil {
		return nil, err
	}
	return &Realm{Name: name, Issuer: k.issuer(name)}, nil
}

// CreateClient registers an OpenID Connect client with the standard flow
// (authorization code, PKCE S256 required) and, for a confidential one,
// direct access grants (password) and a service account (client
// credentials). A secret Keycloak made is read back.
func (k *Keycloak) CreateClient(ctx context.Context, r *Realm, spec ClientSpec) (Client, error) {
	if spec.ID == "" {
		return Client{}, errors.New("sso: keycloak: a client needs an ID")
	}
	rep := kcClient{
		ClientID: spec.ID, Name: spec.ID, Enabled: true, Protocol: "openid-connect",
		PublicClient: spec.Public, RedirectURIs: nonNil(spec.RedirectURIs),
		StandardFlowEnabled: true, DirectAccessGrantsEnabled: true, ServiceAccountsEnabled: !spec.Public,
		Attributes: map[string]string{"pkce.code.challenge.method": "S256"},
	}
	if len(spec.PostLogoutRedirectURIs) > 0 {
		// Keycloak keeps a list attribute as one string joined by "##".
		rep.Attributes["post.logout.redirect.uris"] = strings.Join(spec.PostLogoutRedirectURIs, "##")
	}
	if !spec.Public {
		rep.ClientAuthenticatorType, rep.Secret = "client-secret", spec.Secret
	}
	h, err := k.api.do(ctx, http.MethodPost, realmPath(r.Name)+"/clients", rep, nil, http.StatusCreated)
	if err != nil {
		return Client{}, err
	}
	id, err := createdID(h)
	if err != nil {
		return Client{}, fmt.Errorf("sso: keycloak: client %s: %w", spec.ID, err)
	}
	c := Client{ID: spec.ID, Secret: spec.Secret, Public: spec.Public, Issuer: k.issuer(r.Name), RedirectURIs: spec.RedirectURIs}
	if !spec.Public && c.Secret == "" {
		var cred kcCredential
		if _, err := k.api.do(ctx, http.MethodGet, realmPath(r.Name)+"/clients/"+url.PathEscape(id)+"/client-secret", nil, &cred, http.StatusOK); err != nil {
			return Client{}, err
		}
		if cred.Value == "" {
			return Client{}, fmt.Errorf("sso: keycloak: client %s: the client-secret answer holds no value", spec.ID)
		}
		c.Secret = cred.Value
	}
	return c, nil
}

// CreateUser makes an enabled user with a permanent password. Keycloak's
// default user profile (24 and later) asks a user without an email, a
// first and a last name to complete them at the first login, which would
// stop a scripted login: all three are required.
func (k *Keycloak) CreateUser(ctx context.Context, r *Realm, u User) error {
	if u.Username == "" || u.Password == "" || u.Email == "" || u.GivenName == "" || u.FamilyName == "" {
		return fmt.Errorf("sso: keycloak: user %q needs a username, a password, an email, a given and a family name (else Keycloak asks for them at the first login)", u.Username)
	}
	rep := kcUser{
		Username: u.Username, Enabled: true, Email: u.Email, EmailVerified: true,
		FirstName: u.GivenName, LastName: u.FamilyName,
		Credentials: []kcCredential{{Type: "password", Value: u.Password, Temporary: false}},
	}
	_, err := k.api.do(ctx, http.MethodPost, realmPath(r.Name)+"/users", rep, nil, http.StatusCreated)
	return err
}

// DeleteRealm deletes the realm with its clients and users.
func (k *Keycloak) DeleteRealm(ctx context.Context, r *Realm) error {
	_, err := k.api.do(ctx, http.MethodDelete, realmPath(r.Name), nil, nil, http.StatusNoContent)
	return err
}

// createdID is the last path segment of a 201's Location header, where
// Keycloak names what it created.
func createdID(h http.Header) (string, error) {
	loc := h.Get("Location")
	u, err := url.Parse(loc)
	if loc == "" || err != nil || path.Base(u.Path) == "/" || path.Base(u.Path) == "." {
		return "", fmt.Errorf("the answer's Location header %q names no created object", loc)
	}
	return path.Base(u.Path), nil
}

// nonNil is s, or an empty list (JSON [] rather than null).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
