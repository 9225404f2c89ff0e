package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The app without a provider: what it refuses, and that it starts without
// one. Logging in is tested against the real provider fixture, deployed
// on the swarm (harness/sso's TestSwarmProviderAndApp).
func TestRefusesWithoutLogin(t *testing.T) {
	// An issuer nothing listens at.
	srv := httptest.NewServer(newApp(config{issuer: "http://127.0.0.1:9", clientID: "c", baseURL: "http://app.test"},
		slog.New(slog.DiscardHandler)).routes())
	defer srv.Close()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct {
		path     string
		status   int
		location string
	}{
		{"/health", http.StatusOK, ""},
		{"/", http.StatusFound, "/login"},
		{"/api/me", http.StatusUnauthorized, ""},
		{"/login", http.StatusBadGateway, ""},                   // the provider cannot be reached
		{"/callback?code=x&state=y", http.StatusBadRequest, ""}, // not started by this browser
		{"/callback?error=access_denied", http.StatusForbidden, ""},
		{"/logout", http.StatusFound, "/"},
		{"/elsewhere", http.StatusNotFound, ""},
	} {
		resp, err := hc.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Location") != c.location {
			t.Errorf("GET %s: %d, Location %q; want %d, %q", c.path, resp.StatusCode, resp.Header.Get("Location"), c.status, c.location)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "client_secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ISSUER", "https://sso.example")
	t.Setenv("CLIENT_ID", "app")
	t.Setenv("BASE_URL", "https://app.example/")
	t.Setenv("CLIENT_SECRET_FILE", secret)
	t.Setenv("PORT", "")
	c, err := configFromEnv()
	if err != nil || c.clientSecret != "s3cret" || c.baseURL != "https://app.example" || c.port != "8080" {
		t.Errorf("config %+v, %v", c, err)
	}
	t.Setenv("ISSUER", "")
	t.Setenv("BASE_URL", "")
	if _, err := configFromEnv(); err == nil || !strings.Contains(err.Error(), "ISSUER") || !strings.Contains(err.Error(), "BASE_URL") {
		t.Errorf("missing ISSUER and BASE_URL: %v", err)
	}
}
