package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// loggedOutPath is where a logout ends when the client names no
// post-logout redirect URI.
const loggedOutPath = "/logged-out"

// newServer is the whole fixture: the provider for issuer, its login page
// and its admin API.
func newServer(issuer, adminToken string, log *slog.Logger) (http.Handler, error) {
	store, err := newStorage()
	if err != nil {
		return nil, err
	}
	cfg := &op.Config{
		DefaultLogoutRedirectURI: loggedOutPath,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
	}
	// The key that encrypts the opaque access tokens: new at each start,
	// like everything else the fixture keeps.
	if _, err := rand.Read(cfg.CryptoKey[:]); err != nil {
		return nil, fmt.Errorf("crypto key: %w", err)
	}
	opts := []op.Option{op.WithLogger(log)}
	if strings.HasPrefix(issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure()) // the direct ingress of a test run is plain HTTP
	}
	provider, err := op.NewProvider(cfg, store, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("provider for issuer %s: %w", issuer, err)
	}
	login := &loginPage{store: store, callback: op.AuthCallbackURL(provider), log: log}
	issuerCtx := op.NewIssuerInterceptor(provider.IssuerFromRequest)

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+loginPath, login.show)
	mux.Handle("POST "+loginPath, issuerCtx.HandlerFunc(login.check))
	mux.Handle("/admin/", http.StripPrefix("/admin", newAdmin(store, adminToken, log)))
	mux.HandleFunc("GET "+loggedOutPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintln(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><p id="signed-out">Signed out.</p></body></html>`)
	})
	mux.Handle("/", provider)
	return mux, nil
}
