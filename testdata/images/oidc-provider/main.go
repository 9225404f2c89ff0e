// Command oidc-provider is recipe-test's OpenID provider fixture: a small
// OpenID Connect provider built on github.com/zitadel/oidc's op package,
// with everything in memory, for recipes that depend on an identity
// provider and for the tests of harness/sso.
//
// It serves, on PORT:
//   - the provider (discovery at /.well-known/openid-configuration, the
//     authorization, token, userinfo, end-session, revocation,
//     introspection and keys endpoints; /healthz and /ready) for ISSUER,
//     its public URL (the run's domain, http or https);
//   - a login page (/login, an HTML form) for the authorization-code flow;
//   - an admin API (/admin/clients, /admin/users) protected by the bearer
//     token in ADMIN_TOKEN_FILE (a swarm secret), through which a
//     dependent's setup registers its client and its users (harness/sso's
//     Fixture backend), and the same as a CLI (`oidc-provider admin client
//     ...`, `admin user ...`, see cli.go) for setup steps run by exec in
//     its container.
//
// Grants: authorization code (PKCE S256; required for public clients),
// refresh token and client credentials. zitadel's op has no password grant
// (resource owner password credentials), so the fixture has none either:
// a test gets a user's tokens by the authorization-code flow in a browser.
// The provider keeps no login session of its own: every authorization
// request shows the login form, and a logout (end_session with an ID
// token hint) revokes the user's tokens for that client.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is what the fixture reads from its environment.
type config struct {
	issuer         string
	port           string
	adminTokenFile string
}

func configFromEnv() (config, error) {
	c := config{
		issuer:         strings.TrimRight(os.Getenv("ISSUER"), "/"),
		port:           os.Getenv("PORT"),
		adminTokenFile: os.Getenv("ADMIN_TOKEN_FILE"),
	}
	if c.port == "" {
		c.port = "8080"
	}
	if c.adminTokenFile == "" {
		c.adminTokenFile = "/run/secrets/admin_token"
	}
	if c.issuer == "" {
		return c, errors.New("ISSUER is not set (the provider's public URL, e.g. https://sso.example.com)")
	}
	return c, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "admin" {
		if err := adminCommand(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "oidc-provider admin:", err)
			os.Exit(1)
		}
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("oidc-provider failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	cfg, err := configFromEnv()
	if err != nil {
		return err
	}
	token, err := os.ReadFile(cfg.adminTokenFile)
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	adminToken := strings.TrimSpace(string(token))
	if len(adminToken) < 16 {
		return fmt.Errorf("admin token in %s: %d characters, want at least 16", cfg.adminTokenFile, len(adminToken))
	}
	handler, err := newServer(cfg.issuer, adminToken, log)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: ":" + cfg.port, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	log.Info("oidc-provider listening", "addr", srv.Addr, "issuer", cfg.issuer)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
