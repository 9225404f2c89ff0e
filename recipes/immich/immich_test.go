// Package immich holds the recipe tests of Co-op Cloud's immich recipe
// (Immich, the self-hosted photo and video library: its server, machine
// learning, Valkey and PostgreSQL): what recipe-test's custom stage runs
// against the deployed app. With plain `go test` only the parsing tests of
// the documented answers run; the others skip, since no app is deployed.
//
// Unverified here: no Immich image can be built or pulled on the machines
// these tests were written on. The requests and the answers they read
// follow Immich's documented REST API (/api, its OpenAPI specification).
package immich

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cc-ci/recipe-test/v2/harness"
)

// account is the admin the tests sign up once per run, as Immich's
// documentation has the first user do, and the API key they make.
var account struct {
	once   sync.Once
	err    string
	email  string
	apiKey string
}

// adminEmail is the admin's address on the run's domain.
func adminEmail(env *harness.Env) string { return "recipe-test@" + env.Domain }

// provision signs up the admin (POST /api/auth/admin-sign-up; on a server
// that already has one, as after a restore, it logs in), logs in and makes
// an API key with every permission, and returns the key.
func provision(t *testing.T, env *harness.Env) string {
	t.Helper()
	account.once.Do(func() {
		// Until the end is reached: a failure that stopped an earlier
		// test midway must not leave the key empty for the next.
		account.err = "provisioning the admin and its API key failed in an earlier test"
		c := env.HTTP()
		email, password := adminEmail(env), env.Credential(t, "admin")
		var u userResponse
		r := c.PostJSON(t, "/api/auth/admin-sign-up", map[string]string{"email": email, "password": password, "name": "recipe-test"}, nil)
		switch r.Status {
		case http.StatusCreated:
			r.JSON(t, &u)
			if !u.IsAdmin || u.Email != email {
				account.err = "admin sign-up: not an admin: " + r.String()
				return
			}
		case http.StatusBadRequest: // "The server already has an admin"
		default:
			account.err = "admin sign-up: " + r.String()
			return
		}
		var l loginResponse
		r = c.PostJSON(t, "/api/auth/login", map[string]string{"email": email, "password": password}, &l)
		if r.Status != http.StatusCreated || l.AccessToken == "" || !l.IsAdmin {
			account.err = "login as the admin: " + r.String()
			return
		}
		var k apiKeyCreated
		r = send(t, c, http.MethodPost, "/api/api-keys", "Authorization", "Bearer "+l.AccessToken,
			map[string]any{"name": "recipe-test", "permissions": []string{"all"}})
		if r.Status != http.StatusCreated {
			account.err = "create an API key: " + r.String()
			return
		}
		r.JSON(t, &k)
		if k.Secret == "" {
			account.err = "create an API key: no secret: " + r.String()
			return
		}
		account.email, account.apiKey, account.err = email, k.Secret, ""
	})
	if account.err != "" {
		t.Fatal(account.err)
	}
	return account.apiKey
}

// send sends a request with one authentication header (none when name is
// "") and a JSON body (none when in is nil).
func send(t *testing.T, c *harness.Client, method, path, name, value string, in any) *harness.Response {
	t.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.URL(path), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if name != "" {
		req.Header.Set(name, value)
	}
	return c.Do(t, req)
}

// photo is a small JPEG, different for every seed, for Immich to take as
// a photo and make its thumbnail of.
func photo(t *testing.T, seed string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for x := range 320 {
		for y := range 240 {
			img.Set(x, y, color.RGBA{R: uint8(x + int(seed[0])), G: uint8(y + int(seed[1])), B: uint8(x ^ y), A: 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a file to POST /api/assets as Immich's clients do: a
// multipart form with the file (assetData), the device's ids for it and
// its dates.
func upload(t *testing.T, c *harness.Client, key, deviceAssetID, name string, data []byte) *harness.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	now := time.Now().UTC().Format(time.RFC3339)
	for k, v := range map[string]string{"deviceAssetId": deviceAssetID, "deviceId": "recipe-test", "fileCreatedAt": now, "fileModifiedAt": now} {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	part, err := w.CreateFormFile("assetData", name)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, c.URL("/api/assets"), &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("x-api-key", key)
	return c.Do(t, req)
}

// Immich's server answers its ping and names its version.
func TestHealthCheck(t *testing.T) {
	env := harness.Load(t)
	c := env.HTTP()
	var ping struct {
		Res string `json:"res"`
	}
	c.Get(t, "/api/server/ping").WantStatus(t, http.StatusOK).JSON(t, &ping)
	if ping.Res != "pong" {
		t.Errorf("ping: %+v", ping)
	}
	var v struct{ Major, Minor, Patch int }
	c.Get(t, "/api/server/version").WantStatus(t, http.StatusOK).JSON(t, &v)
	if v.Major < 1 {
		t.Errorf("version %+v", v)
	}
}

// The predecessor's test: a photo uploaded through POST /api/assets is
// read back (its checksum the file's), listed by a metadata search, and
// its thumbnail is generated and served as WebP; the same file uploaded
// again is reported as a duplicate of it.
func TestUploadListThumbnail(t *testing.T) {
	env := harness.Load(t)
	key := provision(t, env)
	c := env.HTTP()
	seed := strings.ToLower(env.Credential(t, "photo"))
	name := "rt-" + seed[:10] + ".jpg"
	data := photo(t, seed)

	var up uploaded
	r := upload(t, c, key, "recipe-test-"+seed[:10], name, data)
	r.WantStatus(t, http.StatusCreated).JSON(t, &up)
	if up.ID == "" || up.Status != "created" {
		t.Fatalf("upload: %s", r)
	}
	var a asset
	send(t, c, http.MethodGet, "/api/assets/"+up.ID, "x-api-key", key, nil).WantStatus(t, http.StatusOK).JSON(t, &a)
	if a.ID != up.ID || a.Type != "IMAGE" || a.OriginalFileName != name || a.Checksum != checksum(data) {
		t.Errorf("asset read back: %+v, want an IMAGE named %s with checksum %s", a, name, checksum(data))
	}

	var s searchResponse
	send(t, c, http.MethodPost, "/api/search/metadata", "x-api-key", key, map[string]any{"originalFileName": name}).
		WantStatus(t, http.StatusOK).JSON(t, &s)
	if got, ok := s.find(up.ID); !ok || got.OriginalFileName != name {
		t.Errorf("search by file name %s: %+v", name, s.Assets)
	}

	// The thumbnail job runs after the upload; it sets the thumbhash.
	harness.WaitUntil(t, 3*time.Minute, 2*time.Second, func() error {
		var a asset
		r := send(t, c, http.MethodGet, "/api/assets/"+up.ID, "x-api-key", key, nil)
		if r.Status != http.StatusOK {
			return fmt.Errorf("GET /api/assets/%s: %s", up.ID, r)
		}
		r.JSON(t, &a)
		if !a.thumbnailed() {
			return fmt.Errorf("no thumbnail of %s yet", up.ID)
		}
		return nil
	})
	th := send(t, c, http.MethodGet, "/api/assets/"+up.ID+"/thumbnail?size=thumbnail", "x-api-key", key, nil).WantStatus(t, http.StatusOK)
	if ct := th.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/webp") ||
		len(th.Body) < 12 || string(th.Body[:4]) != "RIFF" || string(th.Body[8:12]) != "WEBP" {
		t.Errorf("thumbnail: Content-Type %q, %d bytes: not a WebP image", ct, len(th.Body))
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(send(t, c, http.MethodGet, "/api/assets/"+up.ID+"/thumbnail?size=preview", "x-api-key", key, nil).
		WantStatus(t, http.StatusOK).Body)); err != nil || format != "jpeg" || cfg.Width == 0 {
		t.Errorf("preview: %v %s %+v, want a JPEG", err, format, cfg)
	}

	var dup uploaded
	upload(t, c, key, "recipe-test-again-"+seed[:10], name, data).WantStatus(t, http.StatusOK).JSON(t, &dup)
	if dup.Status != "duplicate" || dup.ID != up.ID {
		t.Errorf("the same file again: %+v, want a duplicate of %s", dup, up.ID)
	}
}

// The API refuses requests without a valid key or session, and a login
// with a wrong password.
func TestAPIRequiresAuth(t *testing.T) {
	env := harness.Load(t)
	key := provision(t, env)
	c := env.HTTP()
	for name, h := range map[string][2]string{
		"no key":      {"", ""},
		"a wrong key": {"x-api-key", key[:len(key)-1] + "x"},
		"a bad token": {"Authorization", "Bearer not-a-session"},
	} {
		r := send(t, c, http.MethodPost, "/api/search/metadata", h[0], h[1], map[string]any{})
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: %s, want 401", name, r)
		}
	}
	r := c.PostJSON(t, "/api/auth/login", map[string]string{"email": adminEmail(env), "password": "wrong-" + env.Credential(t, "admin")}, nil)
	if r.Status != http.StatusUnauthorized {
		t.Errorf("login with a wrong password: %s, want 401", r)
	}
	send(t, c, http.MethodPost, "/api/search/metadata", "x-api-key", key, map[string]any{}).WantStatus(t, http.StatusOK)
}

// The admin logs in through Immich's web UI in Chromium and reaches the
// photo timeline.
func TestLoginInBrowser(t *testing.T) {
	env := harness.Load(t)
	provision(t, env)
	b := env.Browser(t)
	if status := b.Navigate(t, "/auth/login"); status != http.StatusOK {
		t.Fatalf("GET /auth/login in the browser: %d", status)
	}
	b.SendKeys(t, "input#email", adminEmail(env))
	b.SendKeys(t, "input#password", env.Credential(t, "admin"))
	b.Screenshot(t, "login")
	b.Click(t, `button[type="submit"]`)
	b.WaitLocation(t, b.URL("/photos"))
	b.Screenshot(t, "photos")
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
