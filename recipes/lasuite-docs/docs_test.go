// Package lasuitedocs holds the recipe tests of Co-op Cloud's lasuite-docs
// recipe (Docs, La Suite numérique's collaborative editor), deployed with
// the Keycloak it requires (recipe.toml's [[requires]], reached as the
// dependency "kc"). With plain `go test` the tests that need the app skip;
// the parsing of Docs' answers is unit-tested against its documented
// shapes (shapes_test.go, testdata/).
package lasuitedocs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/harness/sso"
)

// api is the path of Docs' REST API (API_VERSION v1.0).
const api = "/api/v1.0/"

// config is the part of Docs' public configuration (GET /api/v1.0/config/,
// ConfigView) the suite checks.
type config struct {
	Environment         string     `json:"ENVIRONMENT"`
	MediaBaseURL        string     `json:"MEDIA_BASE_URL"`
	CollaborationWSURL  string     `json:"COLLABORATION_WS_URL"`
	Languages           [][]string `json:"LANGUAGES"`
	LanguageCode        string     `json:"LANGUAGE_CODE"`
	ConversionUploadsOn bool       `json:"CONVERSION_UPLOAD_ENABLED"`
}

// parseConfig decodes the public configuration; Docs always sends its
// languages as [code, name] pairs and its default language.
func parseConfig(data []byte) (config, error) {
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("configuration: %w: %.200s", err, data)
	}
	if len(c.Languages) == 0 || c.LanguageCode == "" {
		return c, fmt.Errorf("configuration without LANGUAGES or LANGUAGE_CODE: %.200s", data)
	}
	for _, l := range c.Languages {
		if len(l) != 2 {
			return c, fmt.Errorf("configuration: a language that is not a [code, name] pair: %v", l)
		}
	}
	return c, nil
}

// me is Docs' UserSerializer (GET /api/v1.0/users/me/).
type me struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	FullName string `json:"full_name"`
	Language string `json:"language"`
}

// document is the part of Docs' DocumentSerializer (the answer of POST
// /api/v1.0/documents/ and GET /api/v1.0/documents/{id}/) the suite checks.
type document struct {
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	Creator   string         `json:"creator"`
	UserRole  string         `json:"user_role"`
	LinkReach string         `json:"link_reach"`
	Depth     int            `json:"depth"`
	Abilities map[string]any `json:"abilities"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at"`
}

// parseDocument decodes a document and checks what every document has: an
// id and its creation time.
func parseDocument(data []byte) (document, error) {
	var d document
	if err := json.Unmarshal(data, &d); err != nil {
		return d, fmt.Errorf("document: %w: %.200s", err, data)
	}
	if d.ID == "" || d.CreatedAt == "" {
		return d, fmt.Errorf("document without id or created_at: %.200s", data)
	}
	return d, nil
}

// anonymousStatus says whether Docs refused a request for lack of a
// session: 401 since Docs 5.4 (its session authentication names a
// challenge), 403 before (Django REST framework's default without one).
func anonymousStatus(code int) bool {
	return code == http.StatusUnauthorized || code == http.StatusForbidden
}

// needsHTTPS skips a test that cannot work over the direct ingress's plain
// HTTP (see recipe.toml): Docs' Production configuration redirects it to
// HTTPS and keeps its cookies for HTTPS, and Docs' back channel to Keycloak
// needs Traefik in front of Keycloak's port 8080.
func needsHTTPS(t *testing.T, env *harness.Env) {
	t.Helper()
	if strings.HasPrefix(env.BaseURL, "http://") {
		t.Skip("needs the traefik ingress (--ingress traefik): Docs' Production configuration redirects plain HTTP to HTTPS and keeps its session cookie for HTTPS, and its back channel to Keycloak needs Traefik in front of Keycloak's port 8080")
	}
}

// login logs the setup's user in through Docs' login (its authenticate
// endpoint sends the browser to Keycloak's login page) and waits until the
// browser is back on Docs.
func login(t *testing.T, env *harness.Env) *harness.Browser {
	t.Helper()
	kc := env.Dependency(t, "kc")
	u := sso.SetupUser(t, kc, sso.User{Email: "ada@example.org", GivenName: "Ada", FamilyName: "Lovelace"})
	return sso.LoginThroughApp(t, env, sso.AppLogin{Start: api + "authenticate/",
		ProviderPage: kc.URL + "/realms/docs/protocol/openid-connect/auth", Form: sso.KeycloakLogin}, u)
}

// fetchAPI sends a request to Docs' API from the logged-in page, as Docs'
// frontend does: with the session cookie and the csrftoken cookie's value
// in X-CSRFToken (Django's CSRF check on unsafe methods).
func fetchAPI(t *testing.T, b *harness.Browser, method, path string, body any) harness.FetchResponse {
	t.Helper()
	return b.Fetch(t, harness.FetchRequest{Method: method, Path: path, JSON: body, CookieHeaders: csrfHeader})
}

// csrfHeader is where Django's frontends send the csrftoken cookie.
var csrfHeader = map[string]string{"X-CSRFToken": "csrftoken"}

// Port of the predecessor's health check: the frontend's home page answers
// through the app's nginx; the backend answers its public configuration
// over HTTPS (naming the app's own URL as its media URL), and, over the
// direct ingress's plain HTTP, redirects to HTTPS as Docs' Production
// configuration does (which proves the backend answered: the frontend has
// no such redirect).
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	home := c.Get(t, "/").WantStatus(t, http.StatusOK)
	if ct := home.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("home page Content-Type %q", ct)
	}
	if strings.HasPrefix(env.BaseURL, "http://") {
		resp := c.WithoutRedirects().Get(t, api+"config/")
		if want := "https://" + env.Domain + api + "config/"; resp.Status != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Errorf("over plain HTTP the backend answered %d to %q, want 301 to %s", resp.Status, resp.Header.Get("Location"), want)
		}
		return
	}
	resp := c.Get(t, api+"config/").WantStatus(t, http.StatusOK)
	cfg, err := parseConfig(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MediaBaseURL != env.BaseURL {
		t.Errorf("MEDIA_BASE_URL %q, want the app's URL %s", cfg.MediaBaseURL, env.BaseURL)
	}
}

// Port of the predecessor's auth check: without a session, the API says
// who is logged in to nobody and creates no document.
func TestAPIRefusesAnonymous(t *testing.T) {
	env := harness.Load(t)
	needsHTTPS(t, env)
	c := env.HTTP().WithoutRedirects()
	if resp := c.Get(t, api+"users/me/"); !anonymousStatus(resp.Status) {
		t.Errorf("GET %susers/me/ without a session: %d, want 401 (403 before Docs 5.4)", api, resp.Status)
	}
	if resp := c.PostJSON(t, api+"documents/", map[string]string{"title": "anonymous"}, nil); !anonymousStatus(resp.Status) {
		t.Errorf("POST %sdocuments/ without a session: %d, want 401 (403 before Docs 5.4)", api, resp.Status)
	}
}

// Port of the predecessor's OIDC test, in Chromium: the home page renders
// (Docs' header) with no console errors but the documented anonymous probe
// of the current user; Docs' login sends the browser to the required
// Keycloak's login page; the user the setup made logs in and lands back on
// Docs, which lists their documents and whose API names them.
func TestLoginThroughKeycloak(t *testing.T) {
	env := harness.Load(t)
	needsHTTPS(t, env)
	b := env.Browser(t)
	b.Navigate(t, "/")
	b.WaitVisible(t, `[data-testid="header-icon-docs"]`)
	for _, e := range b.ConsoleErrors() {
		// The frontend asks who is logged in; without a session the API
		// answers 401 (403 before Docs 5.4), which Chromium logs.
		if !strings.Contains(e, api+"users/me/") {
			t.Errorf("console error on the home page: %s", e)
		}
	}
	b.Screenshot(t, "home")
	b = login(t, env)
	b.WaitVisible(t, `[data-testid="docs-grid"]`)
	b.Screenshot(t, "logged-in")
	res := fetchAPI(t, b, http.MethodGet, api+"users/me/", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET %susers/me/ logged in: %d %.200s", api, res.Status, res.Body)
	}
	var who me
	if err := json.Unmarshal([]byte(res.Body), &who); err != nil {
		t.Fatal(err)
	}
	if who.Email != "ada@example.org" || who.ID == "" {
		t.Errorf("logged in as %+v, want the setup's user ada@example.org", who)
	}
}

// A document created through Docs' REST API by the logged-in user is read
// back by id (its title, the user its owner and creator), shows on Docs'
// home page, and is refused to a visitor without a session (a new
// document is restricted to its accesses).
func TestDocumentRoundTrip(t *testing.T) {
	env := harness.Load(t)
	needsHTTPS(t, env)
	b := login(t, env)
	title := "recipe-test " + strings.ToLower(env.Credential(t, "document")[:10])
	res := fetchAPI(t, b, http.MethodPost, api+"documents/", map[string]string{"title": title})
	if res.Status != http.StatusCreated {
		t.Fatalf("POST %sdocuments/: %d %.300s", api, res.Status, res.Body)
	}
	made, err := parseDocument([]byte(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	res = fetchAPI(t, b, http.MethodGet, api+"documents/"+made.ID+"/", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET %sdocuments/%s/: %d %.300s", api, made.ID, res.Status, res.Body)
	}
	got, err := parseDocument([]byte(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != made.ID || got.Title != title || got.UserRole != "owner" || got.Creator == "" || got.Creator != made.Creator ||
		got.Abilities["destroy"] != true || got.LinkReach != "restricted" {
		t.Errorf("read back %+v, want %s titled %q, restricted, owned (may destroy it) and created by the user", got, made.ID, title)
	}
	var who me
	if r := fetchAPI(t, b, http.MethodGet, api+"users/me/", nil); r.Status != http.StatusOK || json.Unmarshal([]byte(r.Body), &who) != nil || who.ID != got.Creator {
		t.Errorf("the creator %s is not the logged-in user (%d %.200s)", got.Creator, r.Status, r.Body)
	}
	b.Navigate(t, "/")
	b.WaitVisible(t, `[data-testid="docs-grid-name-`+made.ID+`"]`)
	if name := b.Text(t, `[data-testid="docs-grid-name-`+made.ID+`"]`); !strings.Contains(name, title) {
		t.Errorf("the home page lists the document as %q, want %q", name, title)
	}
	b.Screenshot(t, "document-listed")
	if resp := env.HTTP().WithoutRedirects().Get(t, api+"documents/"+made.ID+"/"); !anonymousStatus(resp.Status) {
		t.Errorf("GET the new document without a session: %d, want 401 (403 before Docs 5.4)", resp.Status)
	}
}
