package sso

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAuthentik answers the part of authentik's API v3 the Authentik
// backend uses, in the shapes of authentik's OpenAPI schema (schema.yml:
// flows_instances_list, propertymappings_provider_scope_list,
// crypto_certificatekeypairs_list, providers_oauth2_create/destroy,
// core_applications_create/destroy, core_users_create/destroy,
// core_users_set_password_create): paginated lists under "results", 201
// with the object on create, 204 on delete, 400 with field errors, 403
// without a valid token. authentik itself cannot run here.
type fakeAuthentik struct {
	*httptest.Server
	token string

	mu        sync.Mutex
	flows     []map[string]any
	mappings  []map[string]any
	keypairs  []map[string]any
	providers map[int]map[string]any
	apps      map[string]map[string]any // by slug
	users     map[int]map[string]any
	passwords map[int]string
	nextPK    int
}

func newFakeAuthentik(t *testing.T) *fakeAuthentik {
	f := &fakeAuthentik{token: "ak-api-token-0123456789",
		flows: []map[string]any{
			{"pk": randomID(), "slug": "default-provider-authorization-implicit-consent", "designation": "authorization"},
			{"pk": randomID(), "slug": "default-provider-authorization-explicit-consent", "designation": "authorization"},
			{"pk": randomID(), "slug": "default-provider-invalidation-flow", "designation": "invalidation"},
		},
		keypairs:  []map[string]any{{"pk": randomID(), "name": "authentik Self-signed Certificate"}},
		providers: map[int]map[string]any{}, apps: map[string]map[string]any{},
		users: map[int]map[string]any{}, passwords: map[int]string{}, nextPK: 1}
	for _, m := range append([]string{"goauthentik.io/providers/oauth2/scope-openid", "goauthentik.io/providers/oauth2/scope-profile", "goauthentik.io/providers/oauth2/scope-email"}, "goauthentik.io/providers/oauth2/scope-offline_access") {
		f.mappings = append(f.mappings, map[string]any{"pk": randomID(), "managed": m})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/flows/instances/", f.list(func() []map[string]any { return f.flows }, "slug"))
	mux.HandleFunc("GET /api/v3/propertymappings/provider/scope/", f.list(func() []map[string]any { return f.mappings }, "managed"))
	mux.HandleFunc("GET /api/v3/crypto/certificatekeypairs/", f.list(func() []map[string]any { return f.keypairs }, "name"))
	mux.HandleFunc("POST /api/v3/providers/oauth2/", f.createProvider)
	mux.HandleFunc("DELETE /api/v3/providers/oauth2/{pk}/", f.deleteProvider)
	mux.HandleFunc("POST /api/v3/core/applications/", f.createApp)
	mux.HandleFunc("DELETE /api/v3/core/applications/{slug}/", f.deleteApp)
	mux.HandleFunc("POST /api/v3/core/users/", f.createUser)
	mux.HandleFunc("DELETE /api/v3/core/users/{pk}/", f.deleteUser)
	mux.HandleFunc("POST /api/v3/core/users/{pk}/set_password/", f.setPassword)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			writeJSON(w, http.StatusForbidden, map[string]string{"detail": "Token invalid/expired"})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// list answers a paginated list filtered by one query field (repeatable,
// as django-filter's multiple choice filters are).
func (f *fakeAuthentik) list(all func() []map[string]any, field string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		want := r.URL.Query()[field]
		var out []map[string]any
		for _, o := range all() {
			if len(want) == 0 || slices.Contains(want, o[field].(string)) {
				out = append(out, o)
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"pagination": map[string]any{"next": 0, "previous": 0, "count": len(out), "current": 1, "total_pages": 1, "start_index": 1, "end_index": len(out)},
			"results":    out,
		})
	}
}

func (f *fakeAuthentik) decode(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"non_field_errors": []string{"Invalid data."}})
		return nil, false
	}
	return in, true
}

func (f *fakeAuthentik) has(list []map[string]any, pk any) bool {
	return slices.ContainsFunc(list, func(o map[string]any) bool { return o["pk"] == pk })
}

func (f *fakeAuthentik) createProvider(w http.ResponseWriter, r *http.Request) {
	in, ok := f.decode(w, r)
	if !ok {
		return
	}
	errs := map[string][]string{}
	for _, k := range []string{"name", "authorization_flow", "invalidation_flow"} {
		if s, _ := in[k].(string); s == "" {
			errs[k] = []string{"This field is required."}
		}
	}
	if !f.has(f.flows, in["authorization_flow"]) {
		errs["authorization_flow"] = append(errs["authorization_flow"], "Invalid pk - object does not exist.")
	}
	if !f.has(f.flows, in["invalidation_flow"]) {
		errs["invalidation_flow"] = append(errs["invalidation_flow"], "Invalid pk - object does not exist.")
	}
	if ct := in["client_type"]; ct != "confidential" && ct != "public" {
		errs["client_type"] = []string{`"` + toString(ct) + `" is not a valid choice.`}
	}
	uris, _ := in["redirect_uris"].([]any)
	for _, u := range uris {
		m, _ := u.(map[string]any)
		if mm := m["matching_mode"]; (mm != "strict" && mm != "regex") || m["url"] == "" {
			errs["redirect_uris"] = []string{"Invalid redirect URI."}
		}
	}
	for _, pk := range asList(in["property_mappings"]) {
		if !f.has(f.mappings, pk) {
			errs["property_mappings"] = []string{`Invalid pk "` + toString(pk) + `" - object does not exist.`}
		}
	}
	if key, ok := in["signing_key"]; ok && !f.has(f.keypairs, key) {
		errs["signing_key"] = []string{"Invalid pk - object does not exist."}
	}
	if len(errs) > 0 {
		writeJSON(w, http.StatusBadRequest, errs)
		return
	}
	if s, _ := in["client_id"].(string); s == "" {
		in["client_id"] = randomID()
	}
	if s, _ := in["client_secret"].(string); s == "" {
		in["client_secret"] = randomID() + randomID() // authentik makes one for every provider
	}
	pk := f.nextPK
	f.nextPK++
	in["pk"] = pk
	in["component"] = "ak-provider-oauth2-form"
	f.providers[pk] = in
	writeJSON(w, http.StatusCreated, in)
}

func (f *fakeAuthentik) deleteProvider(w http.ResponseWriter, r *http.Request) {
	pk, _ := strconv.Atoi(r.PathValue("pk"))
	if f.providers[pk] == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "No OAuth2Provider matches the given query."})
		return
	}
	delete(f.providers, pk)
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeAuthentik) createApp(w http.ResponseWriter, r *http.Request) {
	in, ok := f.decode(w, r)
	if !ok {
		return
	}
	slug, _ := in["slug"].(string)
	pk, _ := in["provider"].(float64)
	switch {
	case slug == "" || slug != strings.ToLower(slug) || strings.ContainsAny(slug, " _/."):
		writeJSON(w, http.StatusBadRequest, map[string][]string{"slug": {`Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.`}})
	case f.apps[slug] != nil:
		writeJSON(w, http.StatusBadRequest, map[string][]string{"slug": {"Application with this slug already exists."}})
	case f.providers[int(pk)] == nil:
		writeJSON(w, http.StatusBadRequest, map[string][]string{"provider": {`Invalid pk "` + toString(pk) + `" - object does not exist.`}})
	default:
		in["pk"] = randomID()
		f.apps[slug] = in
		writeJSON(w, http.StatusCreated, in)
	}
}

func (f *fakeAuthentik) deleteApp(w http.ResponseWriter, r *http.Request) {
	if f.apps[r.PathValue("slug")] == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "No Application matches the given query."})
		return
	}
	delete(f.apps, r.PathValue("slug"))
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeAuthentik) createUser(w http.ResponseWriter, r *http.Request) {
	in, ok := f.decode(w, r)
	if !ok {
		return
	}
	for _, u := range f.users {
		if u["username"] == in["username"] {
			writeJSON(w, http.StatusBadRequest, map[string][]string{"username": {"This field must be unique."}})
			return
		}
	}
	pk := f.nextPK
	f.nextPK++
	in["pk"] = pk
	f.users[pk] = in
	writeJSON(w, http.StatusCreated, in)
}

func (f *fakeAuthentik) deleteUser(w http.ResponseWriter, r *http.Request) {
	pk, _ := strconv.Atoi(r.PathValue("pk"))
	if f.users[pk] == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "No User matches the given query."})
		return
	}
	delete(f.users, pk)
	delete(f.passwords, pk)
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeAuthentik) setPassword(w http.ResponseWriter, r *http.Request) {
	pk, _ := strconv.Atoi(r.PathValue("pk"))
	in, ok := f.decode(w, r)
	if !ok {
		return
	}
	pw, _ := in["password"].(string)
	switch {
	case f.users[pk] == nil:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "No User matches the given query."})
	case pw == "":
		writeJSON(w, http.StatusBadRequest, map[string][]string{"password": {"This field may not be blank."}})
	default:
		f.passwords[pk] = pw
		w.WriteHeader(http.StatusNoContent)
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
