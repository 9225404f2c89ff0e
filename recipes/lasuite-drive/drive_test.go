// Package lasuitedrive holds the recipe tests of Co-op Cloud's
// lasuite-drive recipe (Drive, La Suite numérique's file sharing and
// storage), deployed with the Keycloak it requires (recipe.toml's
// [[requires]], reached as the dependency "kc"). With plain `go test` the
// tests that need the app skip; the parsing of Drive's answers is
// unit-tested against its documented shapes (shapes_test.go, testdata/).
package lasuitedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/harness/sso"
)

// api is the path of Drive's REST API (API_VERSION v1.0).
const api = "/api/v1.0/"

// config is the part of Drive's public configuration (GET
// /api/v1.0/config/, ConfigView) the suite checks.
type config struct {
	MediaBaseURL   string     `json:"MEDIA_BASE_URL"`
	UploadACL      string     `json:"AWS_S3_UPLOAD_ACL"`
	MaxUploadBytes int64      `json:"DATA_UPLOAD_MAX_MEMORY_SIZE"`
	Languages      [][]string `json:"LANGUAGES"`
	LanguageCode   string     `json:"LANGUAGE_CODE"`
}

// parseConfig decodes the public configuration; Drive always sends its
// languages, its default language and its upload limit.
func parseConfig(data []byte) (config, error) {
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("configuration: %w: %.200s", err, data)
	}
	if len(c.Languages) == 0 || c.LanguageCode == "" || c.MaxUploadBytes <= 0 {
		return c, fmt.Errorf("configuration without LANGUAGES, LANGUAGE_CODE or DATA_UPLOAD_MAX_MEMORY_SIZE: %.200s", data)
	}
	return c, nil
}

// item is the part of Drive's item serializers (CreateItemSerializer for
// POST, ItemSerializer for GET /items/{id}/, ListItemSerializer in lists)
// the suite checks. Policy is only in a new file's answer: the presigned
// URL its bytes go to.
type item struct {
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Type        string         `json:"type"`
	UploadState *string        `json:"upload_state"`
	Filename    *string        `json:"filename"`
	Mimetype    *string        `json:"mimetype"`
	Size        *int64         `json:"size"`
	URL         *string        `json:"url"`
	Policy      *string        `json:"policy"`
	UserRole    string         `json:"user_role"`
	Creator     map[string]any `json:"creator"`
	Abilities   map[string]any `json:"abilities"`
	Path        string         `json:"path"`
	CreatedAt   string         `json:"created_at"`
}

// parseItem decodes an item and checks what every item has: an id, a
// type, a path and its creation time.
func parseItem(data []byte) (item, error) {
	var it item
	if err := json.Unmarshal(data, &it); err != nil {
		return it, fmt.Errorf("item: %w: %.200s", err, data)
	}
	if it.ID == "" || it.Type == "" || it.Path == "" || it.CreatedAt == "" {
		return it, fmt.Errorf("item without id, type, path or created_at: %.200s", data)
	}
	return it, nil
}

// page is a page of Drive's paginated lists (Pagination, a
// PageNumberPagination): the children of a folder.
type page struct {
	Count   int               `json:"count"`
	Next    *string           `json:"next"`
	Results []json.RawMessage `json:"results"`
}

// parseChildren decodes a page of items.
func parseChildren(data []byte) ([]item, error) {
	var p page
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("children: %w: %.200s", err, data)
	}
	if p.Results == nil {
		return nil, fmt.Errorf("children: not a page of results: %.200s", data)
	}
	items := make([]item, 0, len(p.Results))
	for _, r := range p.Results {
		it, err := parseItem(r)
		if err != nil {
			return nil, fmt.Errorf("children: %w", err)
		}
		items = append(items, it)
	}
	return items, nil
}

// checkPolicy checks a new file's upload URL: an S3 presigned PUT (SigV4
// query parameters) under the app's own URL, where the recipe's nginx hands
// the bucket to MinIO (AWS_S3_DOMAIN_REPLACE), for the file's key
// (item/<id>/<filename>).
func checkPolicy(policy, baseURL string, it item) error {
	u, err := url.Parse(policy)
	if err != nil {
		return fmt.Errorf("upload policy %q: %w", policy, err)
	}
	base, err := url.Parse(baseURL)
	if err != nil {
		return fmt.Errorf("base URL %q: %w", baseURL, err)
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return fmt.Errorf("upload policy goes to %s://%s, want the app's %s://%s", u.Scheme, u.Host, base.Scheme, base.Host)
	}
	q := u.Query()
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Expires"} {
		if q.Get(k) == "" {
			return fmt.Errorf("upload policy without %s: %s", k, u.Path)
		}
	}
	if it.Filename == nil || !strings.HasSuffix(u.Path, "/item/"+it.ID+"/"+*it.Filename) {
		return fmt.Errorf("upload policy's key %s is not item/%s/<filename>", u.Path, it.ID)
	}
	return nil
}

// anonymousStatus says whether Drive refused a request for lack of a
// session (401 with its session authentication's challenge, 403 without
// one or from nginx's media-auth).
func anonymousStatus(code int) bool {
	return code == http.StatusUnauthorized || code == http.StatusForbidden
}

// needsHTTPS skips a test that cannot work over the direct ingress's plain
// HTTP (see recipe.toml).
func needsHTTPS(t *testing.T, env *harness.Env) {
	t.Helper()
	if strings.HasPrefix(env.BaseURL, "http://") {
		t.Skip("needs the traefik ingress (--ingress traefik): Drive's Production configuration redirects plain HTTP to HTTPS and keeps its session cookie for HTTPS, its upload URLs are signed for https://, and its back channel to Keycloak needs Traefik in front of Keycloak's port 8080")
	}
}

// login logs the setup's user in through Drive's login (its authenticate
// endpoint sends the browser to Keycloak's login page) and waits until the
// browser is back on Drive.
func login(t *testing.T, env *harness.Env) *harness.Browser {
	t.Helper()
	kc := env.Dependency(t, "kc")
	u := sso.SetupUser(t, kc, sso.User{Email: "ada@example.org", GivenName: "Ada", FamilyName: "Lovelace"})
	return sso.LoginThroughApp(t, env, sso.AppLogin{Start: api + "authenticate/",
		ProviderPage: kc.URL + "/realms/drive/protocol/openid-connect/auth", Form: sso.KeycloakLogin}, u)
}

// fetchPage sends a request from the logged-in page, as Drive's frontend
// does: with the session cookie and the csrftoken cookie's value in
// X-CSRFToken (Django's CSRF check on unsafe methods). headers and body
// are sent as given.
func fetchPage(t *testing.T, b *harness.Browser, method, target string, headers map[string]string, body string) harness.FetchResponse {
	t.Helper()
	return b.Fetch(t, harness.FetchRequest{Method: method, Path: target, Headers: headers, Body: body, CookieHeaders: csrfHeader})
}

// apiJSON sends a JSON request to Drive's API from the logged-in page.
func apiJSON(t *testing.T, b *harness.Browser, method, path string, in any) harness.FetchResponse {
	t.Helper()
	return b.Fetch(t, harness.FetchRequest{Method: method, Path: path, JSON: in, CookieHeaders: csrfHeader})
}

// csrfHeader is where Django's frontends send the csrftoken cookie.
var csrfHeader = map[string]string{"X-CSRFToken": "csrftoken"}

// mustItem decodes an API answer with the wanted status as an item.
func mustItem(t *testing.T, what string, res harness.FetchResponse, want int) item {
	t.Helper()
	if res.Status != want {
		t.Fatalf("%s: %d %.300s", what, res.Status, res.Body)
	}
	it, err := parseItem([]byte(res.Body))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return it
}

// upload makes a workspace folder and uploads a file into it as Drive's
// frontend does (StandardDriver): the file item, its bytes PUT to the
// presigned URL with the ACL the configuration names, upload-ended; then
// waits until the file is ready (Drive's malware check, by default the
// dummy backend, moves it from analyzing to ready).
func upload(t *testing.T, env *harness.Env, b *harness.Browser, cfg config, name, content string) (folder, file item) {
	t.Helper()
	folder = mustItem(t, "POST "+api+"items/ (a folder)", apiJSON(t, b, http.MethodPost, api+"items/", map[string]string{"type": "folder", "title": "recipe-test " + name}), http.StatusCreated)
	if folder.Type != "folder" || folder.UserRole != "owner" {
		t.Fatalf("the new folder %+v is not a folder the user owns", folder)
	}
	file = mustItem(t, "POST children (a file)", apiJSON(t, b, http.MethodPost, api+"items/"+folder.ID+"/children/", map[string]string{"type": "file", "filename": name}), http.StatusCreated)
	if file.Policy == nil || file.UploadState == nil || *file.UploadState != "pending" {
		t.Fatalf("the new file %+v has no upload policy or is not pending", file)
	}
	if err := checkPolicy(*file.Policy, env.BaseURL, file); err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{"Content-Type": "text/plain"}
	if cfg.UploadACL != "" && cfg.UploadACL != "default" {
		headers["X-amz-acl"] = cfg.UploadACL
	}
	if res := fetchPage(t, b, http.MethodPut, *file.Policy, headers, content); res.Status != http.StatusOK {
		t.Fatalf("PUT to the presigned upload URL: %d %.300s", res.Status, res.Body)
	}
	ended := mustItem(t, "POST upload-ended", apiJSON(t, b, http.MethodPost, api+"items/"+file.ID+"/upload-ended/", nil), http.StatusOK)
	if ended.Size == nil || *ended.Size != int64(len(content)) {
		t.Fatalf("after upload-ended the file's size is %v, want %d", ended.Size, len(content))
	}
	deadline := time.Now().Add(time.Minute)
	for {
		file = mustItem(t, "GET the file", apiJSON(t, b, http.MethodGet, api+"items/"+file.ID+"/", nil), http.StatusOK)
		if file.UploadState != nil && *file.UploadState == "ready" {
			return folder, file
		}
		if time.Now().After(deadline) {
			t.Fatalf("the file is still %v a minute after upload-ended", file.UploadState)
		}
		time.Sleep(2 * time.Second)
	}
}

// Port of the predecessor's health check: the frontend's home page answers
// through the app's nginx; the backend answers its public configuration
// over HTTPS (naming the app's own URL as its media URL), and redirects
// plain HTTP to HTTPS as Drive's Production configuration does.
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
	cfg, err := parseConfig(c.Get(t, api+"config/").WantStatus(t, http.StatusOK).Body)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MediaBaseURL != env.BaseURL || cfg.UploadACL == "" {
		t.Errorf("MEDIA_BASE_URL %q, AWS_S3_UPLOAD_ACL %q: want the app's URL %s and an ACL", cfg.MediaBaseURL, cfg.UploadACL, env.BaseURL)
	}
	if resp := c.WithoutRedirects().Get(t, api+"items/"); !anonymousStatus(resp.Status) {
		t.Errorf("GET %sitems/ without a session: %d, want 401 or 403", api, resp.Status)
	}
}

// A file uploaded into a workspace folder through Drive's REST API (and
// its presigned S3 upload) is listed among the folder's children and
// downloaded back byte for byte through the app's /media/ path, which
// nginx serves from MinIO once Drive's media-auth allowed it; a visitor
// without a session gets neither the list nor the file.
func TestFileRoundTrip(t *testing.T) {
	env := harness.Load(t)
	needsHTTPS(t, env)
	cfg, err := parseConfig(env.HTTP().Get(t, api+"config/").WantStatus(t, http.StatusOK).Body)
	if err != nil {
		t.Fatal(err)
	}
	b := login(t, env)
	tag := strings.ToLower(env.Credential(t, "file")[:10])
	name := "recipe-test-" + tag + ".txt"
	content := "recipe-test round trip " + env.Credential(t, "content") + "\n"
	folder, file := upload(t, env, b, cfg, name, content)

	res := apiJSON(t, b, http.MethodGet, api+"items/"+folder.ID+"/children/", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET the folder's children: %d %.300s", res.Status, res.Body)
	}
	children, err := parseChildren([]byte(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	if len(children) != 1 || children[0].ID != file.ID || children[0].Title != name || children[0].Size == nil || *children[0].Size != int64(len(content)) ||
		children[0].Mimetype == nil || !strings.HasPrefix(*children[0].Mimetype, "text/plain") || children[0].URL == nil {
		t.Fatalf("the folder lists %+v, want only %s (%s, %d bytes of text/plain, with a URL)", children, file.ID, name, len(content))
	}
	media := *children[0].URL
	if !strings.HasPrefix(media, env.BaseURL+"/media/item/"+file.ID+"/") {
		t.Errorf("the file's URL %s is not under %s/media/item/%s/", media, env.BaseURL, file.ID)
	}
	got := fetchPage(t, b, http.MethodGet, media, nil, "")
	if got.Status != http.StatusOK || got.Body != content {
		t.Errorf("downloading %s: %d %q, want 200 and the uploaded %q", media, got.Status, got.Body, content)
	}
	anon := env.HTTP().WithoutRedirects()
	if resp := anon.Get(t, strings.TrimPrefix(media, env.BaseURL)); !anonymousStatus(resp.Status) || bytes.Contains(resp.Body, []byte(content)) {
		t.Errorf("downloading the file without a session: %d, want 401 or 403 without its content", resp.Status)
	}
	if resp := anon.Get(t, api+"items/"+folder.ID+"/children/"); !anonymousStatus(resp.Status) {
		t.Errorf("listing the folder without a session: %d, want 401 or 403", resp.Status)
	}
}

// In Chromium: Drive's login goes through the required Keycloak, the API
// then names the setup's user, and Drive's explorer page of a folder shows
// the file uploaded into it.
func TestWorkspaceInBrowser(t *testing.T) {
	env := harness.Load(t)
	needsHTTPS(t, env)
	cfg, err := parseConfig(env.HTTP().Get(t, api+"config/").WantStatus(t, http.StatusOK).Body)
	if err != nil {
		t.Fatal(err)
	}
	b := login(t, env)
	res := apiJSON(t, b, http.MethodGet, api+"users/me/", nil)
	var who struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if res.Status != http.StatusOK || json.Unmarshal([]byte(res.Body), &who) != nil || who.Email != "ada@example.org" || who.ID == "" {
		t.Fatalf("GET %susers/me/ logged in: %d %.200s, want the setup's user ada@example.org", api, res.Status, res.Body)
	}
	name := "recipe-test-" + strings.ToLower(env.Credential(t, "browser")[:10]) + ".txt"
	folder, _ := upload(t, env, b, cfg, name, "shown in the explorer\n")
	b.Navigate(t, "/explorer/items/"+folder.ID)
	b.Do(t, "the explorer lists "+name, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](fmt.Sprintf("document.body && document.body.innerText.includes(%q)", name), chromedp.WithPollingInterval(500*time.Millisecond))(ctx, tg)
		return chromedp.Void{}, err
	})
	b.Screenshot(t, "explorer")
}
