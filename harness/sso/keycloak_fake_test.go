package sso

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeKeycloak answers the part of Keycloak's admin REST API and token
// endpoint the Keycloak backend uses, with the status codes, headers and
// bodies Keycloak's documentation gives (Admin REST API: RealmsAdmin,
// ClientsResource, ClientResource#getClientSecret, UsersResource; the
// OpenID Connect token endpoint of a realm). Keycloak itself cannot run
// here.
type fakeKeycloak struct {
	*httptest.Server
	adminUser, adminPassword string

	mu     sync.Mutex
	tokens map[string]bool               // access tokens handed out
	realms map[string]*fakeKeycloakRealm // by realm name
	// requests logs "METHOD path" of every request.
	requests []string
}

type fakeKeycloakRealm struct {
	clients map[string]map[string]any // by internal id: the representation
	users   map[string]map[string]any
}

func newFakeKeycloak(t *testing.T) *fakeKeycloak {
	f := &fakeKeycloak{adminUser: "admin", adminPassword: "admin-password-0123",
		tokens: map[string]bool{}, realms: map[string]*fakeKeycloakRealm{"master": {clients: map[string]map[string]any{}, users: map[string]map[string]any{}}}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /realms/{realm}/protocol/openid-connect/token", f.token)
	mux.HandleFunc("GET /realms/{realm}/.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("POST /admin/realms", f.admin(f.createRealm))
	mux.HandleFunc("DELETE /admin/realms/{realm}", f.admin(f.deleteRealm))
	mux.HandleFunc("POST /admin/realms/{realm}/clients", f.admin(f.createClient))
	mux.HandleFunc("GET /admin/realms/{realm}/clients/{id}/client-secret", f.admin(f.clientSecret))
	mux.HandleFunc("POST /admin/realms/{realm}/users", f.admin(f.createUser))
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// token is a realm's token endpoint: the password grant (admin-cli in the
// master realm; a client with direct access grants elsewhere). Keycloak
// sends an id_token only for scope openid; this fake signs none, so tests
// ask for other scopes.
func (f *fakeKeycloak) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "password" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	realm := r.PathValue("realm")
	ok := false
	if realm == "master" {
		ok = r.PostForm.Get("client_id") == "admin-cli" && r.PostForm.Get("username") == f.adminUser && r.PostForm.Get("password") == f.adminPassword
	} else if rm := f.realms[realm]; rm != nil {
		ok = rm.checkPassword(r.PostForm.Get("username"), r.PostForm.Get("password"))
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_grant", "error_description": "Invalid user credentials"})
		return
	}
	if strings.Contains(" "+r.PostForm.Get("scope")+" ", " openid ") {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_scope", "error_description": "this fake signs no ID tokens"})
		return
	}
	tok := randomID()
	f.tokens[tok] = true
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 60, "refresh_expires_in": 1800,
		"refresh_token": randomID(), "token_type": "Bearer", "not-before-policy": 0, "session_state": randomID(), "scope": r.PostForm.Get("scope")})
}

func (rm *fakeKeycloakRealm) checkPassword(username, password string) bool {
	for _, u := range rm.users {
		if u["username"] != username {
			continue
		}
		creds, _ := u["credentials"].([]any)
		for _, c := range creds {
			if m, _ := c.(map[string]any); m["type"] == "password" && m["value"] == password {
				return true
			}
		}
	}
	return false
}

// discovery is a realm's OpenID configuration, in Keycloak's shape.
func (f *fakeKeycloak) discovery(w http.ResponseWriter, r *http.Request) {
	realm := r.PathValue("realm")
	f.mu.Lock()
	_, ok := f.realms[realm]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Realm does not exist"})
		return
	}
	iss := f.URL + "/realms/" + realm
	oidc := iss + "/protocol/openid-connect"
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": iss, "authorization_endpoint": oidc + "/auth", "token_endpoint": oidc + "/token",
		"userinfo_endpoint": oidc + "/userinfo", "end_session_endpoint": oidc + "/logout", "jwks_uri": oidc + "/certs",
		"grant_types_supported":                 []string{"authorization_code", "implicit", "refresh_token", "password", "client_credentials"},
		"code_challenge_methods_supported":      []string{"plain", "S256"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

// admin checks the bearer token as Keycloak's admin API does.
func (f *fakeKeycloak) admin(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		valid := ok && f.tokens[tok]
		f.mu.Unlock()
		if !valid {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "HTTP 401 Unauthorized"})
			return
		}
		if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "HTTP 415 Unsupported Media Type"})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		h(w, r)
	}
}

func decodeRep(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var rep map[string]any
	if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown_error"})
		return nil, false
	}
	return rep, true
}

func (f *fakeKeycloak) realm(w http.ResponseWriter, r *http.Request) *fakeKeycloakRealm {
	rm := f.realms[r.PathValue("realm")]
	if rm == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Realm not found."})
	}
	return rm
}

func (f *fakeKeycloak) createRealm(w http.ResponseWriter, r *http.Request) {
	rep, ok := decodeRep(w, r)
	if !ok {
		return
	}
	name, _ := rep["realm"].(string)
	if name == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errorMessage": "Realm name cannot be empty"})
		return
	}
	if f.realms[name] != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"errorMessage": "Conflict detected. See logs for details"})
		return
	}
	f.realms[name] = &fakeKeycloakRealm{clients: map[string]map[string]any{}, users: map[string]map[string]any{}}
	w.Header().Set("Location", f.URL+"/admin/realms/"+name)
	w.WriteHeader(http.StatusCreated)
}

func (f *fakeKeycloak) deleteRealm(w http.ResponseWriter, r *http.Request) {
	if f.realm(w, r) == nil {
		return
	}
	delete(f.realms, r.PathValue("realm"))
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeKeycloak) createClient(w http.ResponseWriter, r *http.Request) {
	rm := f.realm(w, r)
	if rm == nil {
		return
	}
	rep, ok := decodeRep(w, r)
	if !ok {
		return
	}
	for _, c := range rm.clients {
		if c["clientId"] == rep["clientId"] {
			writeJSON(w, http.StatusConflict, map[string]string{"errorMessage": fmt.Sprintf("Client %v already exists", rep["clientId"])})
			return
		}
	}
	if rep["publicClient"] != true && rep["secret"] == nil {
		rep["secret"] = randomID() // Keycloak makes a secret for a confidential client
	}
	id := randomID()
	rm.clients[id] = rep
	w.Header().Set("Location", f.URL+"/admin/realms/"+r.PathValue("realm")+"/clients/"+id)
	w.WriteHeader(http.StatusCreated)
}

func (f *fakeKeycloak) clientSecret(w http.ResponseWriter, r *http.Request) {
	rm := f.realm(w, r)
	if rm == nil {
		return
	}
	c := rm.clients[r.PathValue("id")]
	if c == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Could not find client"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "secret", "value": c["secret"]})
}

func (f *fakeKeycloak) createUser(w http.ResponseWriter, r *http.Request) {
	rm := f.realm(w, r)
	if rm == nil {
		return
	}
	rep, ok := decodeRep(w, r)
	if !ok {
		return
	}
	for _, u := range rm.users {
		if u["username"] == rep["username"] {
			writeJSON(w, http.StatusConflict, map[string]string{"errorMessage": "User exists with same username"})
			return
		}
	}
	id := randomID()
	rm.users[id] = rep
	w.Header().Set("Location", f.URL+"/admin/realms/"+r.PathValue("realm")+"/users/"+id)
	w.WriteHeader(http.StatusCreated)
}

// log returns the requests so far.
func (f *fakeKeycloak) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}
