package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes of what the storage hands out.
const (
	accessTokenLifetime  = 15 * time.Minute
	refreshTokenLifetime = 5 * time.Hour
	authRequestLifetime  = 10 * time.Minute
)

// user is an account.
type user struct {
	id         string
	username   string
	password   string
	email      string
	givenName  string
	familyName string
}

func (u *user) name() string {
	n := u.givenName
	if u.familyName != "" {
		n += " " + u.familyName
	}
	if n == "" {
		return u.username
	}
	return n
}

// authRequest is an authorization request between the authorization
// endpoint and the code exchange.
type authRequest struct {
	id            string
	created       time.Time
	clientID      string
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	responseType  oidc.ResponseType
	responseMode  oidc.ResponseMode
	codeChallenge *oidc.CodeChallenge
	userID        string
	authTime      time.Time
	done          bool
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return amr(a.done) }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.userID }
func (a *authRequest) Done() bool                            { return a.done }

func amr(done bool) []string {
	if done {
		return []string{"pwd"}
	}
	return nil
}

// token is an access token (by its id, which op encrypts into the token
// it hands out) or a refresh token.
type token struct {
	id        string
	clientID  string
	subject   string
	audience  []string
	scopes    []string
	expires   time.Time
	authTime  time.Time
	amr       []string
	refreshID string // the access token's refresh token, or the refresh token's access token
}

// refreshRequest is a refresh token presented again, as op sees it.
type refreshRequest struct{ *token }

func (r refreshRequest) GetAMR() []string            { return r.amr }
func (r refreshRequest) GetAudience() []string       { return r.audience }
func (r refreshRequest) GetAuthTime() time.Time      { return r.authTime }
func (r refreshRequest) GetClientID() string         { return r.clientID }
func (r refreshRequest) GetScopes() []string         { return r.scopes }
func (r refreshRequest) GetSubject() string          { return r.subject }
func (r refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// signingKey is the provider's RSA key, made at start.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ *signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

// storage keeps everything in memory: op's Storage, the client
// credentials grant, and what the admin API and the login page change.
type storage struct {
	key *signingKey

	mu            sync.Mutex
	clients       map[string]*client
	users         map[string]*user // by username
	authRequests  map[string]*authRequest
	codes         map[string]string // code -> auth request id
	accessTokens  map[string]*token
	refreshTokens map[string]*token
}

var (
	_ op.Storage                  = (*storage)(nil)
	_ op.ClientCredentialsStorage = (*storage)(nil)
)

func newStorage() (*storage, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	kid, err := randomID()
	if err != nil {
		return nil, err
	}
	return &storage{key: &signingKey{id: kid, key: k},
		clients: map[string]*client{}, users: map[string]*user{}, authRequests: map[string]*authRequest{},
		codes: map[string]string{}, accessTokens: map[string]*token{}, refreshTokens: map[string]*token{}}, nil
}

// randomID is 24 random bytes, URL-safe.
func randomID() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

var errNotFound = errors.New("not found")

// --- what the login page and the admin API need ---------------------------

// login checks a user's password and completes the authorization request
// with that user.
func (s *storage) login(requestID, username, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[requestID]
	if !ok || time.Since(req.created) > authRequestLifetime {
		return errors.New("this login request is unknown or expired: start again from the application")
	}
	u, ok := s.users[username]
	if !ok || subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) != 1 {
		return errors.New("invalid username or password")
	}
	req.userID, req.authTime, req.done = u.id, time.Now(), true
	return nil
}

func (s *storage) addClient(c *client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.id]; ok {
		return fmt.Errorf("client %q already exists", c.id)
	}
	s.clients[c.id] = c
	return nil
}

func (s *storage) deleteClient(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return errNotFound
	}
	delete(s.clients, id)
	s.revokeWhere(func(t *token) bool { return t.clientID == id })
	return nil
}

func (s *storage) addUser(u *user) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.username]; ok {
		return fmt.Errorf("user %q already exists", u.username)
	}
	s.users[u.username] = u
	return nil
}

func (s *storage) deleteUser(username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return errNotFound
	}
	delete(s.users, username)
	s.revokeWhere(func(t *token) bool { return t.subject == u.id })
	return nil
}

// revokeWhere drops the access and refresh tokens that match; s.mu is held.
func (s *storage) revokeWhere(match func(*token) bool) {
	for id, t := range s.accessTokens {
		if match(t) {
			delete(s.accessTokens, id)
		}
	}
	for id, t := range s.refreshTokens {
		if match(t) {
			delete(s.refreshTokens, id)
		}
	}
}

// userByID finds a user by subject; s.mu is held.
func (s *storage) userByID(id string) *user {
	for _, u := range s.users {
		if u.id == id {
			return u
		}
	}
	return nil
}

// --- op.AuthStorage -------------------------------------------------------

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(r.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired() // no session to log in silently with
	}
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	req := &authRequest{id: id, created: time.Now(), clientID: r.ClientID, redirectURI: r.RedirectURI,
		state: r.State, nonce: r.Nonce, scopes: r.Scopes, responseType: r.ResponseType, responseMode: r.ResponseMode}
	if r.CodeChallenge != "" {
		req.codeChallenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authRequests[id] = req
	return req, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.authRequests[id]
	if !ok {
		return nil, fmt.Errorf("auth request %w", errNotFound)
	}
	return req, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("code invalid or expired")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authRequests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// tokenInfo is who a token request is for.
func tokenInfo(r op.TokenRequest) (clientID string, authTime time.Time, amr []string) {
	switch r := r.(type) {
	case *authRequest:
		return r.clientID, r.authTime, r.GetAMR()
	case refreshRequest:
		return r.clientID, r.authTime, r.amr
	case *oidc.JWTTokenRequest: // client credentials: the client is the subject
		return r.Subject, time.Time{}, nil
	}
	return "", time.Time{}, nil
}

func (s *storage) newAccessToken(r op.TokenRequest) (*token, error) {
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	clientID, authTime, amr := tokenInfo(r)
	t := &token{id: id, clientID: clientID, subject: r.GetSubject(), audience: r.GetAudience(), scopes: r.GetScopes(),
		expires: time.Now().Add(accessTokenLifetime), authTime: authTime, amr: amr}
	s.accessTokens[id] = t
	return t, nil
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.newAccessToken(r)
	if err != nil {
		return "", time.Time{}, err
	}
	return t.id, t.expires, nil
}

func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		old, ok := s.refreshTokens[current]
		if !ok || time.Now().After(old.expires) {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refreshTokens, current)
		delete(s.accessTokens, old.refreshID)
	}
	at, err := s.newAccessToken(r)
	if err != nil {
		return "", "", time.Time{}, err
	}
	rid, err := randomID()
	if err != nil {
		return "", "", time.Time{}, err
	}
	rt := *at
	rt.id, rt.expires, rt.refreshID = rid, time.Now().Add(refreshTokenLifetime), at.id
	at.refreshID = rid
	s.refreshTokens[rid] = &rt
	return at.id, rid, at.expires, nil
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, rt string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refreshTokens[rt]
	if !ok || time.Now().After(t.expires) {
		return nil, op.ErrInvalidRefreshToken
	}
	return refreshRequest{t}, nil
}

// TerminateSession is a logout: the user's tokens for the client go.
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeWhere(func(t *token) bool { return t.subject == userID && t.clientID == clientID })
	return nil
}

func (s *storage) RevokeToken(_ context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[string]*token{s.accessTokens, s.refreshTokens} {
		if t, ok := m[tokenOrID]; ok {
			if t.clientID != clientID {
				return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
			}
			delete(s.accessTokens, t.id)
			delete(s.refreshTokens, t.id)
			delete(s.accessTokens, t.refreshID)
			delete(s.refreshTokens, t.refreshID)
		}
	}
	return nil // RFC 7009: an unknown token is no error
}

func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, rt string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refreshTokens[rt]
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.subject, t.id, nil
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

// --- op.OPStorage ---------------------------------------------------------

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %q %w", id, errNotFound)
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.public || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return errors.New("invalid client id or secret")
	}
	return nil
}

// SetUserinfoFromScopes is left empty: op calls SetUserinfoFromRequest
// (below), which knows the client, for the ID token.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *storage) SetUserinfoFromRequest(_ context.Context, ui *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setUserinfo(ui, r.GetSubject(), scopes)
}

func (s *storage) SetUserinfoFromToken(_ context.Context, ui *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.accessTokens[tokenID]
	if !ok || time.Now().After(t.expires) {
		return errors.New("token is invalid or has expired")
	}
	return s.setUserinfo(ui, t.subject, t.scopes)
}

// setUserinfo fills the claims of a user by scope; s.mu is held.
func (s *storage) setUserinfo(ui *oidc.UserInfo, subject string, scopes []string) error {
	u := s.userByID(subject)
	if u == nil {
		return fmt.Errorf("user %w (a client credentials token has no user)", errNotFound)
	}
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeOpenID:
			ui.Subject = u.id
		case oidc.ScopeProfile:
			ui.PreferredUsername, ui.Name, ui.GivenName, ui.FamilyName = u.username, u.name(), u.givenName, u.familyName
		case oidc.ScopeEmail:
			ui.Email, ui.EmailVerified = u.email, oidc.Bool(u.email != "")
		}
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.accessTokens[tokenID]
	if !ok || time.Now().After(t.expires) || !slices.Contains(t.audience, clientID) {
		return errors.New("token is invalid, expired, or not for this client")
	}
	resp.Active, resp.Scope, resp.ClientID = true, t.scopes, t.clientID
	resp.Expiration = oidc.FromTime(t.expires)
	ui := new(oidc.UserInfo)
	if s.setUserinfo(ui, t.subject, t.scopes) == nil {
		resp.SetUserInfo(ui)
	}
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID: no client authenticates with a JWT (private_key_jwt).
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt is not supported")
}

func (s *storage) ValidateJWTProfileScopes(_ context.Context, _ string, scopes []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// --- op.ClientCredentialsStorage --------------------------------------------

func (s *storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, err
	}
	return s.GetClientByClientID(ctx, id)
}

func (s *storage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	return &oidc.JWTTokenRequest{Subject: id, Audience: []string{id}, Scopes: scopes}, nil
}
