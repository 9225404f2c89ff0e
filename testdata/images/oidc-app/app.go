package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Bounds of the app's state.
const (
	loginLifetime   = 10 * time.Minute // an authorization request in flight
	sessionLifetime = 8 * time.Hour
	sessionCookie   = "oidc_app_session"
	stateCookie     = "oidc_app_state"
)

// pending is an authorization request sent to the provider.
type pending struct {
	nonce, verifier string
	expires         time.Time
}

// session is a logged-in user.
type session struct {
	Subject  string `json:"sub"`
	Name     string `json:"name"`
	Username string `json:"preferred_username"`
	Email    string `json:"email"`
	idToken  string
	expires  time.Time
}

type app struct {
	cfg    config
	log    *slog.Logger
	client *http.Client // to the provider

	mu       sync.Mutex
	provider *oidc.Provider // nil until discovery succeeds
	logout   string         // the provider's end_session_endpoint
	pending  map[string]pending
	sessions map[string]*session
}

func newApp(cfg config, log *slog.Logger) *app {
	return &app{cfg: cfg, log: log, client: &http.Client{Timeout: 15 * time.Second},
		pending: map[string]pending{}, sessions: map[string]*session{}}
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /{$}", a.page)
	mux.HandleFunc("GET /api/me", a.me)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("GET /logout", a.logoutHandler)
	return mux
}

// discover finds the provider on first use, and again after a failure.
func (a *app) discover(ctx context.Context) (*oidc.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, a.client), a.cfg.issuer)
	if err != nil {
		return nil, fmt.Errorf("discovering %s: %w", a.cfg.issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&meta)
	a.provider, a.logout = p, meta.EndSession
	return p, nil
}

func (a *app) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: a.cfg.clientID, ClientSecret: a.cfg.clientSecret, Endpoint: p.Endpoint(),
		RedirectURL: a.cfg.baseURL + "/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// current returns the request's session, or nil.
func (a *app) current(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[c.Value]
	if s == nil || time.Now().After(s.expires) {
		delete(a.sessions, c.Value)
		return nil
	}
	return s
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>oidc-app</title></head>
<body>
<h1>oidc-app</h1>
<p>Signed in as <strong id="user">{{.Name}}</strong> (<span id="username">{{.Username}}</span>)</p>
<p><a id="logout" href="/logout">Sign out</a></p>
</body>
</html>
`))

func (a *app) page(w http.ResponseWriter, r *http.Request) {
	s := a.current(r)
	if s == nil {
		http.Redirect(w, r, "/login", http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := pageTemplate.Execute(w, s); err != nil {
		a.log.Error("rendering the page", "err", err)
	}
}

func (a *app) me(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	s := a.current(r)
	if s == nil {
		w.Header().Set("WWW-Authenticate", `OIDC realm="oidc-app"`)
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "not logged in: GET /login"})
		return
	}
	_ = json.NewEncoder(w).Encode(s)
}

func (a *app) login(w http.ResponseWriter, r *http.Request) {
	p, err := a.discover(r.Context())
	if err != nil {
		a.log.Error("login", "err", err)
		http.Error(w, "the identity provider cannot be reached: "+err.Error(), http.StatusBadGateway)
		return
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	a.mu.Lock()
	for k, v := range a.pending {
		if time.Now().After(v.expires) {
			delete(a.pending, k)
		}
	}
	a.pending[state] = pending{nonce: nonce, verifier: verifier, expires: time.Now().Add(loginLifetime)}
	a.mu.Unlock()
	// The state also goes into a cookie: the callback must come back to
	// the browser that started the login.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: "/callback", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(loginLifetime.Seconds())})
	http.Redirect(w, r, a.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		http.Error(w, "the identity provider refused the login: "+e+": "+q.Get("error_description"), http.StatusForbidden)
		return
	}
	state := q.Get("state")
	c, err := r.Cookie(stateCookie)
	if err != nil || c.Value != state {
		http.Error(w, "this login was not started by this browser", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	pend, ok := a.pending[state]
	delete(a.pending, state)
	a.mu.Unlock()
	if !ok || time.Now().After(pend.expires) {
		http.Error(w, "unknown or expired login: start again", http.StatusBadRequest)
		return
	}
	s, err := a.exchange(r.Context(), q.Get("code"), pend)
	if err != nil {
		a.log.Error("callback", "err", err)
		http.Error(w, "login failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	id := random()
	a.mu.Lock()
	a.sessions[id] = s
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: "/callback", MaxAge: -1})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	a.log.Info("logged in", "sub", s.Subject, "username", s.Username)
	http.Redirect(w, r, "/", http.StatusFound)
}

// exchange trades the code for tokens (with the PKCE verifier) and makes a
// session from the verified ID token.
func (a *app) exchange(ctx context.Context, code string, pend pending) (*session, error) {
	p, err := a.discover(ctx)
	if err != nil {
		return nil, err
	}
	ctx = oidc.ClientContext(ctx, a.client)
	tok, err := a.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(pend.verifier))
	if err != nil {
		return nil, fmt.Errorf("exchanging the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("the token response has no id_token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: a.cfg.clientID}).Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verifying the ID token: %w", err)
	}
	if idt.Nonce != pend.nonce {
		return nil, fmt.Errorf("the ID token's nonce is not this login's")
	}
	s := &session{idToken: raw, expires: time.Now().Add(sessionLifetime)}
	if err := idt.Claims(s); err != nil {
		return nil, fmt.Errorf("reading the ID token's claims: %w", err)
	}
	if s.Name == "" {
		// A provider that keeps the profile out of the ID token has it at userinfo.
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, fmt.Errorf("userinfo: %w", err)
		}
		if err := ui.Claims(s); err != nil {
			return nil, fmt.Errorf("reading userinfo: %w", err)
		}
	}
	return s, nil
}

// logoutHandler ends the session here, then at the provider (RP-initiated
// logout), which sends the browser back to the app's page.
func (a *app) logoutHandler(w http.ResponseWriter, r *http.Request) {
	var idToken string
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		if s := a.sessions[c.Value]; s != nil {
			idToken = s.idToken
		}
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1})
	a.mu.Lock()
	end := a.logout
	a.mu.Unlock()
	if end == "" || idToken == "" {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	u, err := url.Parse(end)
	if err != nil {
		http.Error(w, "the provider's end_session_endpoint is no URL: "+err.Error(), http.StatusBadGateway)
		return
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	q.Set("post_logout_redirect_uri", a.cfg.baseURL+"/")
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}
