package ssoadmin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
)

// Backends are the admin backends Open knows, by the names Backend
// returns.
func Backends() []string { return []string{"keycloak", "authentik", "fixture"} }

// Credentials are what a backend's admin API takes: Keycloak the master
// realm administrator's User ("" = "admin") and Password; authentik and
// the fixture an API Token.
type Credentials struct {
	User     string
	Password string
	Token    string
}

// Open returns the Admin of a provider of kind backend (one of Backends)
// at baseURL, reached through hc. A credential the backend needs that is
// missing, or one it does not take, is an error: a token given to
// Keycloak is a mistake better said than ignored.
func Open(backend string, hc *http.Client, baseURL string, c Credentials) (Admin, error) {
	switch backend {
	case "keycloak":
		if c.Password == "" || c.Token != "" {
			return nil, errors.New("sso: keycloak: the admin API takes the master realm administrator's user and password, not a token")
		}
		if c.User == "" {
			c.User = "admin"
		}
		return NewKeycloak(hc, baseURL, c.User, c.Password), nil
	case "authentik", "fixture":
		if c.Token == "" || c.User != "" || c.Password != "" {
			return nil, fmt.Errorf("sso: %s: the admin API takes an API token, not a user and password", backend)
		}
		if backend == "authentik" {
			return NewAuthentik(hc, baseURL, c.Token), nil
		}
		return NewFixture(hc, baseURL, c.Token), nil
	}
	return nil, fmt.Errorf("sso: no admin backend %q (backends: %v)", backend, Backends())
}

// Plan is what Provision makes: a realm, a client in it and its users.
type Plan struct {
	Realm  string
	Client ClientSpec
	// Users are made in order; one without a Password gets a random one.
	Users []User
}

// Provisioned is what Provision made.
type Provisioned struct {
	Realm *Realm
	// Client holds the client's secret (the one given, or the one the
	// provider made) and its issuer.
	Client Client
	// Users are the plan's, each with its password.
	Users []User
}

// Provision makes the plan's realm, its client and its users through a,
// in that order, and returns them. On an error it returns what it made so
// far (Realm set once the realm exists), for a caller that tidies up with
// DeleteRealm; a run tears the whole provider down instead.
func Provision(ctx context.Context, a Admin, p Plan) (*Provisioned, error) {
	out := &Provisioned{}
	realm, err := a.CreateRealm(ctx, p.Realm)
	if err != nil {
		return out, fmt.Errorf("realm %s: %w", p.Realm, err)
	}
	out.Realm = realm
	if out.Client, err = a.CreateClient(ctx, realm, p.Client); err != nil {
		return out, fmt.Errorf("client %s in realm %s: %w", p.Client.ID, p.Realm, err)
	}
	for _, u := range p.Users {
		if u.Password == "" {
			if u.Password, err = RandomPassword(); err != nil {
				return out, err
			}
		}
		if err := a.CreateUser(ctx, realm, u); err != nil {
			return out, fmt.Errorf("user %s in realm %s: %w", u.Username, p.Realm, err)
		}
		out.Users = append(out.Users, u)
	}
	return out, nil
}

// RandomPassword is 24 characters of base64url from 18 random bytes: no
// character a provider's form or a shell quotes specially.
func RandomPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sso: a random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
