package harness

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Fetch in real Chromium sends what the page's own fetch() would: the
// page's cookies, a cookie's value copied into a header (decoded, as a
// frontend reads document.cookie), a JSON body; it answers error statuses
// without failing, and values that look like code stay values.
func TestBrowserFetch(t *testing.T) {
	type echo struct {
		Method, Path, CSRF, Session, ContentType, Body string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: "tok%2Fen", Path: "/"})
			http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: "s3cret", Path: "/", HttpOnly: true})
			io.WriteString(w, "<!doctype html><title>app</title>")
		case "/forbidden":
			http.Error(w, "no CSRF token", http.StatusForbidden)
		default:
			body, _ := io.ReadAll(r.Body)
			e := echo{Method: r.Method, Path: r.URL.RequestURI(), CSRF: r.Header.Get("X-CSRFToken"), ContentType: r.Header.Get("Content-Type"), Body: string(body)}
			if c, err := r.Cookie("sessionid"); err == nil {
				e.Session = c.Value
			}
			json.NewEncoder(w).Encode(e)
		}
	}))
	defer srv.Close()
	useFacts(t, &Facts{Recipe: "fetch", Domain: "127.0.0.1", BaseURL: srv.URL, ProxyURL: "http://127.0.0.1:9", Out: t.TempDir()})
	b := Load(t).Browser(t)
	b.Timeout = 30 * time.Second
	b.Navigate(t, "/")

	decode := func(res FetchResponse) echo {
		t.Helper()
		if res.Status != http.StatusOK {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		var e echo
		if err := json.Unmarshal([]byte(res.Body), &e); err != nil {
			t.Fatalf("%v: %q", err, res.Body)
		}
		return e
	}
	hostile := `/api/items?q=");throw 1;//`
	got := decode(b.Fetch(t, FetchRequest{Method: "POST", Path: hostile, JSON: map[string]any{"title": "a \"quoted\" `title`"},
		CookieHeaders: map[string]string{"X-CSRFToken": "csrftoken"}}))
	want := echo{Method: "POST", Path: "/api/items?q=%22);throw%201;//", CSRF: "tok/en", Session: "s3cret", ContentType: "application/json",
		Body: `{"title":"a \"quoted\" ` + "`title`" + `"}`}
	if got != want {
		t.Errorf("POST from the page reached the app as\n%+v\nwant\n%+v", got, want)
	}

	got = decode(b.Fetch(t, FetchRequest{Path: "/api/items", CookieHeaders: map[string]string{"X-CSRFToken": "no-such-cookie"}}))
	if got.Method != "GET" || got.Body != "" || got.ContentType != "" || got.CSRF != "" || got.Session != "s3cret" {
		t.Errorf("GET from the page reached the app as %+v", got)
	}

	got = decode(b.Fetch(t, FetchRequest{Method: "PUT", Path: "/upload", Body: "raw\x00bytes", Headers: map[string]string{"Content-Type": "text/plain"}}))
	if got.Method != "PUT" || got.Body != "raw\x00bytes" || got.ContentType != "text/plain" || got.CSRF != "" {
		t.Errorf("PUT from the page reached the app as %+v", got)
	}

	if res := b.Fetch(t, FetchRequest{Method: "DELETE", Path: "/forbidden"}); res.Status != http.StatusForbidden || res.Body != "no CSRF token\n" {
		t.Errorf("DELETE /forbidden: %+v", res)
	}

	b.Timeout = 5 * time.Second
	wantFailure(t, capture(t, func(t testing.TB) { b.Fetch(t, FetchRequest{Path: "http://127.0.0.1:9/elsewhere"}) }), "GET http://127.0.0.1:9/elsewhere from the page")
}
