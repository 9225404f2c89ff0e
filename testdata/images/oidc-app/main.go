// Command oidc-app is recipe-test's OIDC-protected fixture app: a small web
// app that lets nobody in without a login at its OpenID provider.
//
// It runs the authorization-code flow with PKCE (golang.org/x/oauth2) and
// verifies the ID token (github.com/coreos/go-oidc), then shows the
// logged-in user's name on its page. Configuration, from the environment:
//
//	ISSUER              the provider's issuer URL (discovered lazily, so the
//	                    app starts and is healthy before its provider answers)
//	CLIENT_ID           its client at the provider
//	CLIENT_SECRET_FILE  the client secret (a swarm secret); absent or empty
//	                    for a public client
//	BASE_URL            its own public URL; the redirect URI is BASE_URL/callback,
//	                    the post-logout redirect URI BASE_URL/
//	PORT                where it listens (8080)
//
// Routes: / (the page; a visitor without a session is redirected to
// /login), /api/me (the user as JSON; 401 without a session), /login,
// /callback, /logout (ends the session here and at the provider), /health.
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

// imageTag is set at build time by scripts/build-fixtures.sh.
var imageTag = "dev"

type config struct {
	issuer, clientID, clientSecret, baseURL, port string
}

func configFromEnv() (config, error) {
	c := config{
		issuer:   os.Getenv("ISSUER"),
		clientID: os.Getenv("CLIENT_ID"),
		baseURL:  strings.TrimRight(os.Getenv("BASE_URL"), "/"),
		port:     os.Getenv("PORT"),
	}
	if c.port == "" {
		c.port = "8080"
	}
	if f := os.Getenv("CLIENT_SECRET_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return c, fmt.Errorf("client secret: %w", err)
		}
		c.clientSecret = strings.TrimSpace(string(b))
	}
	var missing []string
	for _, v := range [][2]string{{"ISSUER", c.issuer}, {"CLIENT_ID", c.clientID}, {"BASE_URL", c.baseURL}} {
		if v[1] == "" {
			missing = append(missing, v[0])
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("not set: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := configFromEnv()
	if err != nil {
		log.Error("oidc-app: configuration", "err", err)
		os.Exit(2)
	}
	srv := &http.Server{Addr: ":" + cfg.port, Handler: newApp(cfg, log).routes(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	log.Info("oidc-app listening", "addr", srv.Addr, "issuer", cfg.issuer, "client_id", cfg.clientID, "version", imageTag)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Error("oidc-app", "err", err)
		os.Exit(1)
	}
}
