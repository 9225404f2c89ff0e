package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// admin is the fixture's admin API, for a dependent's setup (harness/sso's
// Fixture backend) to register clients and users:
//
//	POST   /admin/clients          {client_id, client_secret?, public, redirect_uris, post_logout_redirect_uris}
//	                               -> 201 the client, with the secret made when none was given
//	DELETE /admin/clients/{id}     -> 204
//	POST   /admin/users            {username, password, email, given_name, family_name} -> 201 {id, username}
//	DELETE /admin/users/{username} -> 204
//
// Every request carries "Authorization: Bearer <admin token>". Errors are
// JSON {"error": "..."}: 400 bad input, 401 no or wrong token, 404, 409
// already exists.
type admin struct {
	store *storage
	token []byte
	log   *slog.Logger
}

type clientJSON struct {
	ClientID               string   `json:"client_id"`
	ClientSecret           string   `json:"client_secret,omitempty"`
	Public                 bool     `json:"public"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
}

type userJSON struct {
	ID         string `json:"id,omitempty"`
	Username   string `json:"username"`
	Password   string `json:"password,omitempty"`
	Email      string `json:"email,omitempty"`
	GivenName  string `json:"given_name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
}

func newAdmin(store *storage, token string, log *slog.Logger) http.Handler {
	a := &admin{store: store, token: []byte(token), log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /clients", a.createClient)
	mux.HandleFunc("DELETE /clients/{id}", a.deleteClient)
	mux.HandleFunc("POST /users", a.createUser)
	mux.HandleFunc("DELETE /users/{username}", a.deleteUser)
	return a.authorized(mux)
}

func (a *admin) authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), a.token) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="oidc-provider admin"`)
			apiError(w, http.StatusUnauthorized, "a bearer token (the admin_token secret) is required")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		apiError(w, http.StatusBadRequest, "request body: "+err.Error())
		return false
	}
	return true
}

// absoluteHTTP checks that every URI is an absolute http(s) URL.
func absoluteHTTP(field string, uris []string) error {
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			return errors.New(field + ": " + s + " is not an absolute http(s) URL without a fragment")
		}
	}
	return nil
}

func (a *admin) createClient(w http.ResponseWriter, r *http.Request) {
	var in clientJSON
	if !decode(w, r, &in) {
		return
	}
	err := absoluteHTTP("redirect_uris", in.RedirectURIs)
	if err == nil {
		err = absoluteHTTP("post_logout_redirect_uris", in.PostLogoutRedirectURIs)
	}
	switch {
	case in.ClientID == "":
		err = errors.New("client_id is required")
	case in.Public && in.ClientSecret != "":
		err = errors.New("a public client has no client_secret")
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !in.Public && in.ClientSecret == "" {
		if in.ClientSecret, err = randomID(); err != nil {
			apiError(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	c := &client{id: in.ClientID, secret: in.ClientSecret, public: in.Public, redirectURIs: in.RedirectURIs, postLogoutRedirectURIs: in.PostLogoutRedirectURIs}
	if err := a.store.addClient(c); err != nil {
		apiError(w, http.StatusConflict, err.Error())
		return
	}
	a.log.Info("client registered", "client_id", c.id, "public", c.public, "redirect_uris", c.redirectURIs)
	writeJSON(w, http.StatusCreated, in)
}

func (a *admin) deleteClient(w http.ResponseWriter, r *http.Request) {
	if err := a.store.deleteClient(r.PathValue("id")); err != nil {
		apiError(w, http.StatusNotFound, "client "+r.PathValue("id")+" not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *admin) createUser(w http.ResponseWriter, r *http.Request) {
	var in userJSON
	if !decode(w, r, &in) {
		return
	}
	if in.Username == "" || in.Password == "" || in.ID != "" {
		apiError(w, http.StatusBadRequest, "username and password are required; id is made by the provider")
		return
	}
	id, err := randomID()
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	u := &user{id: id, username: in.Username, password: in.Password, email: in.Email, givenName: in.GivenName, familyName: in.FamilyName}
	if err := a.store.addUser(u); err != nil {
		apiError(w, http.StatusConflict, err.Error())
		return
	}
	a.log.Info("user created", "username", u.username)
	writeJSON(w, http.StatusCreated, userJSON{ID: u.id, Username: u.username, Email: u.email, GivenName: u.givenName, FamilyName: u.familyName})
}

func (a *admin) deleteUser(w http.ResponseWriter, r *http.Request) {
	if err := a.store.deleteUser(r.PathValue("username")); err != nil {
		apiError(w, http.StatusNotFound, "user "+r.PathValue("username")+" not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
