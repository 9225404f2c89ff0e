package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// adminCommand is the fixture's admin CLI, for a dependent's setup steps
// run in the provider's container (as keycloak's kcadm.sh is): it calls
// the running provider's admin API on 127.0.0.1 with the admin token and
// prints what a dependent needs as NAME=VALUE lines.
//
//	oidc-provider admin client CLIENT_ID REDIRECT_URI... [post-logout=URI...] -> client_id=, client_secret=
//	oidc-provider admin user USERNAME [GIVEN_NAME [FAMILY_NAME]] -> username=, password=
func adminCommand(args []string, stdout io.Writer) error {
	cfg := config{port: os.Getenv("PORT"), adminTokenFile: os.Getenv("ADMIN_TOKEN_FILE")}
	if cfg.port == "" {
		cfg.port = "8080"
	}
	if cfg.adminTokenFile == "" {
		cfg.adminTokenFile = "/run/secrets/admin_token"
	}
	token, err := os.ReadFile(cfg.adminTokenFile)
	if err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	usage := errors.New("usage: oidc-provider admin client CLIENT_ID REDIRECT_URI... [post-logout=URI...] | admin user USERNAME [GIVEN_NAME [FAMILY_NAME]]")
	if len(args) < 2 {
		return usage
	}
	post := func(path string, in, out any) error {
		body, _ := json.Marshal(in)
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+cfg.port+"/admin"+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST /admin%s: %s: %s", path, resp.Status, strings.TrimSpace(string(data)))
		}
		return json.Unmarshal(data, out)
	}
	switch args[0] {
	case "client":
		if len(args) < 3 {
			return usage
		}
		in := clientJSON{ClientID: args[1]}
		for _, a := range args[2:] {
			if u, ok := strings.CutPrefix(a, "post-logout="); ok {
				in.PostLogoutRedirectURIs = append(in.PostLogoutRedirectURIs, u)
			} else {
				in.RedirectURIs = append(in.RedirectURIs, a)
			}
		}
		var c clientJSON
		if err := post("/clients", in, &c); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client_id=%s\nclient_secret=%s\n", c.ClientID, c.ClientSecret)
	case "user":
		in := userJSON{Username: args[1]}
		if len(args) > 2 {
			in.GivenName = args[2]
		}
		if len(args) > 3 {
			in.FamilyName = args[3]
		}
		if in.Password, err = randomID(); err != nil {
			return err
		}
		var u userJSON
		if err := post("/users", in, &u); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "username=%s\npassword=%s\n", u.Username, in.Password)
	default:
		return usage
	}
	return nil
}
