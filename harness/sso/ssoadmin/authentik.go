package ssoadmin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Authentik is the Admin of an authentik server, through its API v3
// (/api/v3/...) with an API token (e.g. the AUTHENTIK_BOOTSTRAP_TOKEN an
// authentik deployment starts with).
//
// authentik has no realms: its OpenID issuer is per application
// (<base>/application/o/<slug>/). A Realm here is a namespace: its users
// get the path recipe-test/<realm>, its applications a slug starting with
// the realm's name, and DeleteRealm deletes what was made in it.
// A client is an OAuth2 provider (the default implicit-consent
// authorization flow, the default invalidation flow, the openid, profile
// and email scope mappings, the self-signed signing key) with an
// application for it. Post-logout redirect URIs are not registered:
// authentik's invalidation flow decides where a logout ends.
type Authentik struct {
	api  restAPI
	base string
}

var _ Admin = (*Authentik)(nil)

// authentik's defaults that a client uses, by their documented names.
const (
	akAuthorizationFlow = "default-provider-authorization-implicit-consent"
	akInvalidationFlow  = "default-provider-invalidation-flow"
	akSigningKey        = "authentik Self-signed Certificate"
)

// akScopes are the managed scope mappings a client gets.
var akScopes = []string{
	"goauthentik.io/providers/oauth2/scope-openid",
	"goauthentik.io/providers/oauth2/scope-profile",
	"goauthentik.io/providers/oauth2/scope-email",
}

// NewAuthentik returns the Admin of the authentik at baseURL (e.g.
// "https://auth.example.com") with an API token, reached through hc.
func NewAuthentik(hc *http.Client, baseURL, token string) *Authentik {
	base := strings.TrimRight(baseURL, "/")
	return &Authentik{base: base, api: restAPI{name: "authentik", hc: hc, base: base + "/api/v3",
		auth: func(context.Context) (string, error) { return "Bearer " + token, nil }}}
}

// Backend is "authentik".
func (a *Authentik) Backend() string { return "authentik" }

// authentik's answers (its serializers), the fields the harness reads.
type (
	akList[T any] struct {
		Results []T `json:"results"`
	}
	akFlow struct {
		PK   string `json:"pk"`
		Slug string `json:"slug"`
	}
	akMapping struct {
		PK      string `json:"pk"`
		Managed string `json:"managed"`
	}
	akKeypair struct {
		PK   string `json:"pk"`
		Name string `json:"name"`
	}
	akRedirectURI struct {
		MatchingMode string `json:"matching_mode"`
		URL          string `json:"url"`
	}
	akProvider struct {
		PK                int             `json:"pk,omitempty"`
		Name              string          `json:"name"`
		AuthorizationFlow string          `json:"authorization_flow"`
		InvalidationFlow  string          `json:"invalidation_flow"`
		PropertyMappings  []string        `json:"property_mappings"`
		ClientType        string          `json:"client_type"`
		ClientID          string          `json:"client_id"`
		ClientSecret      string          `json:"client_secret,omitempty"`
		RedirectURIs      []akRedirectURI `json:"redirect_uris"`
		SigningKey        string          `json:"signing_key"`
	}
	akApplication struct {
		Name     string `json:"name"`
		Slug     string `json:"slug"`
		Provider int    `json:"provider"`
	}
	akUser struct {
		PK       int    `json:"pk,omitempty"`
		Username string `json:"username"`
		Name     string `json:"name"`
		Email    string `json:"email"`
		IsActive bool   `json:"is_active"`
		Path     string `json:"path"`
	}
	akPassword struct {
		Password string `json:"password"`
	}
)

// CreateRealm makes no object: authentik has no realms (see Authentik).
func (a *Authentik) CreateRealm(_ context.Context, name string) (*Realm, error) {
	if slug(name) != name {
		return nil, fmt.Errorf("sso: authentik: realm name %q must be a slug (lower-case letters, digits, '-')", name)
	}
	return &Realm{Name: name}, nil
}

// slugRe matches what authentik's slug fields refuse.
var slugRe = regexp.MustCompile(`[^a-z0-9-]+`)

// slug makes s a slug: lower case, other characters as '-'.
func slug(s string) string {
	return strings.Trim(slugRe.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// CreateClient makes an OAuth2 provider and its application
// <realm>-<client id>; the client's issuer is the application's.
func (a *Authentik) CreateClient(ctx context.Context, r *Realm, spec ClientSpec) (Client, error) {
	if spec.ID == "" {
		return Client{}, errors.New("sso: authentik: a client needs an ID")
	}
	p, err := a.providerRequest(ctx, spec)
	if err != nil {
		return Client{}, err
	}
	name := r.Name + "-" + slug(spec.ID)
	p.Name = name
	var created akProvider
	if _, err := a.api.do(ctx, http.MethodPost, "/providers/oauth2/", p, &created, http.StatusCreated); err != nil {
		return Client{}, err
	}
	r.made(func(ctx context.Context) error {
		_, err := a.api.do(ctx, http.MethodDelete, "/providers/oauth2/"+strconv.Itoa(created.PK)+"/", nil, nil, http.StatusNoContent)
		return err
	})
	app := akApplication{Name: name, Slug: name, Provider: created.PK}
	if _, err := a.api.do(ctx, http.MethodPost, "/core/applications/", app, nil, http.StatusCreated); err != nil {
		return Client{}, err
	}
	r.made(func(ctx context.Context) error {
		_, err := a.api.do(ctx, http.MethodDelete, "/core/applications/"+url.PathEscape(name)+"/", nil, nil, http.StatusNoContent)
		return err
	})
	c := Client{ID: created.ClientID, Secret: created.ClientSecret, Public: spec.Public,
		Issuer: a.base + "/application/o/" + name + "/", RedirectURIs: spec.RedirectURIs}
	if spec.Public {
		c.Secret = ""
	}
	if c.ID != spec.ID || (!spec.Public && c.Secret == "") {
		return Client{}, fmt.Errorf("sso: authentik: provider %s came back with client_id %q and %s secret", name, c.ID, map[bool]string{true: "a", false: "no"}[c.Secret != ""])
	}
	return c, nil
}

// providerRequest is the OAuth2 provider for spec, with authentik's
// default flows, scope mappings and signing key looked up.
func (a *Authentik) providerRequest(ctx context.Context, spec ClientSpec) (*akProvider, error) {
	authz, err := a.flow(ctx, akAuthorizationFlow)
	if err != nil {
		return nil, err
	}
	inval, err := a.flow(ctx, akInvalidationFlow)
	if err != nil {
		return nil, err
	}
	mappings, err := a.scopeMappings(ctx)
	if err != nil {
		return nil, err
	}
	key, err := a.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	p := &akProvider{AuthorizationFlow: authz, InvalidationFlow: inval, PropertyMappings: mappings,
		ClientType: "confidential", ClientID: spec.ID, ClientSecret: spec.Secret, SigningKey: key,
		RedirectURIs: []akRedirectURI{}}
	if spec.Public {
		p.ClientType, p.ClientSecret = "public", ""
	}
	for _, u := range spec.RedirectURIs {
		p.RedirectURIs = append(p.RedirectURIs, akRedirectURI{MatchingMode: "strict", URL: u})
	}
	return p, nil
}

// flow is the pk of the flow with a slug.
func (a *Authentik) flow(ctx context.Context, slug string) (string, error) {
	var l akList[akFlow]
	if _, err := a.api.do(ctx, http.MethodGet, "/flows/instances/?slug="+url.QueryEscape(slug), nil, &l, http.StatusOK); err != nil {
		return "", err
	}
	for _, f := range l.Results {
		if f.Slug == slug && f.PK != "" {
			return f.PK, nil
		}
	}
	return "", fmt.Errorf("sso: authentik: no flow %q (authentik's default, made at its first start)", slug)
}

// scopeMappings are the pks of the managed openid, profile and email
// scope mappings.
func (a *Authentik) scopeMappings(ctx context.Context) ([]string, error) {
	q := url.Values{"managed": akScopes}
	var l akList[akMapping]
	if _, err := a.api.do(ctx, http.MethodGet, "/propertymappings/provider/scope/?"+q.Encode(), nil, &l, http.StatusOK); err != nil {
		return nil, err
	}
	byManaged := map[string]string{}
	for _, m := range l.Results {
		byManaged[m.Managed] = m.PK
	}
	var out []string
	for _, m := range akScopes {
		pk, ok := byManaged[m]
		if !ok {
			return nil, fmt.Errorf("sso: authentik: no scope mapping %q (authentik's default)", m)
		}
		out = append(out, pk)
	}
	return out, nil
}

// signingKey is the pk of authentik's self-signed certificate: without a
// signing key authentik signs ID tokens with HS256 and the client secret,
// which no JWKS can verify.
func (a *Authentik) signingKey(ctx context.Context) (string, error) {
	var l akList[akKeypair]
	q := url.Values{"has_key": {"true"}, "name": {akSigningKey}}
	if _, err := a.api.do(ctx, http.MethodGet, "/crypto/certificatekeypairs/?"+q.Encode(), nil, &l, http.StatusOK); err != nil {
		return "", err
	}
	for _, k := range l.Results {
		if k.Name == akSigningKey && k.PK != "" {
			return k.PK, nil
		}
	}
	return "", fmt.Errorf("sso: authentik: no certificate %q with a key (authentik's default)", akSigningKey)
}

// CreateUser makes an active user under the path recipe-test/<realm> and
// sets its password.
func (a *Authentik) CreateUser(ctx context.Context, r *Realm, u User) error {
	if u.Username == "" || u.Password == "" {
		return fmt.Errorf("sso: authentik: user %q needs a username and a password", u.Username)
	}
	in := akUser{Username: u.Username, Name: u.Name(), Email: u.Email, IsActive: true, Path: "recipe-test/" + r.Name}
	var created akUser
	if _, err := a.api.do(ctx, http.MethodPost, "/core/users/", in, &created, http.StatusCreated); err != nil {
		return err
	}
	userPath := "/core/users/" + strconv.Itoa(created.PK) + "/"
	r.made(func(ctx context.Context) error {
		_, err := a.api.do(ctx, http.MethodDelete, userPath, nil, nil, http.StatusNoContent)
		return err
	})
	_, err := a.api.do(ctx, http.MethodPost, userPath+"set_password/", akPassword{Password: u.Password}, nil, http.StatusNoContent)
	return err
}

// DeleteRealm deletes the applications, providers and users made in the
// realm, newest first.
func (a *Authentik) DeleteRealm(ctx context.Context, r *Realm) error {
	return r.undoAll(ctx)
}
