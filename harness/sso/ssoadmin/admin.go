package ssoadmin

import (
	"context"
	"strings"
	"sync"
)

// Admin makes what a test needs in an identity provider. Each backend
// speaks its provider's own admin API: Keycloak, Authentik, Fixture.
type Admin interface {
	// Backend names the provider kind ("keycloak", "authentik", "fixture").
	Backend() string
	// CreateRealm makes a realm: Keycloak's realm; for providers without
	// one, a namespace of what the test creates (see each backend).
	CreateRealm(ctx context.Context, name string) (*Realm, error)
	// CreateClient registers an OAuth 2.0 / OpenID Connect client in a
	// realm and returns it with its secret and its issuer.
	CreateClient(ctx context.Context, r *Realm, spec ClientSpec) (Client, error)
	// CreateUser makes a user with a password in a realm, able to log in
	// at once (enabled, no required action).
	CreateUser(ctx context.Context, r *Realm, u User) error
	// DeleteRealm removes the realm and everything made in it.
	DeleteRealm(ctx context.Context, r *Realm) error
}

// Realm is a realm (or a backend's namespace) made by CreateRealm.
type Realm struct {
	// Name is the realm's name.
	Name string
	// Issuer is the realm's issuer, when the realm has one of its own
	// (Keycloak, Fixture); "" when each client has its own (authentik: one
	// per application): use Client.Issuer.
	Issuer string

	mu      sync.Mutex
	cleanup []func(context.Context) error // undo what was made, last first
}

// made records how to remove something made in the realm.
func (r *Realm) made(undo func(context.Context) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanup = append(r.cleanup, undo)
}

// undoAll removes what was made in the realm, newest first, and returns
// the first error after trying all.
func (r *Realm) undoAll(ctx context.Context) error {
	r.mu.Lock()
	undo := r.cleanup
	r.cleanup = nil
	r.mu.Unlock()
	var first error
	for i := len(undo) - 1; i >= 0; i-- {
		if err := undo[i](ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// ClientSpec is a client to register.
type ClientSpec struct {
	// ID is the client_id.
	ID string
	// Public makes a public client (no secret; PKCE protects its code),
	// else it is confidential.
	Public bool
	// Secret of a confidential client; "" lets the provider make one.
	Secret string
	// RedirectURIs are the exact redirect URIs it may use.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where the provider may send the browser
	// after a logout.
	PostLogoutRedirectURIs []string
}

// Client is a registered client, as the flows use it.
type Client struct {
	ID string
	// Secret is "" for a public client. Never log it.
	Secret string
	Public bool
	// Issuer is the issuer whose tokens the client gets: Discover it.
	Issuer       string
	RedirectURIs []string
}

// User is an account at the provider.
type User struct {
	Username string
	// Password is never logged.
	Password   string
	Email      string
	GivenName  string
	FamilyName string
}

// Name is the user's full name as providers put it in the "name" claim:
// given and family name, or the username when it has neither.
func (u User) Name() string {
	if n := strings.TrimSpace(u.GivenName + " " + u.FamilyName); n != "" {
		return n
	}
	return u.Username
}
