package harness

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// withFacts writes a facts file whose ingress is the given proxy and points
// $RECIPE_TEST_FACTS at it.
func withFacts(t *testing.T, f Facts) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "facts.json")
	if err := WriteFacts(path, &f); err != nil {
		t.Fatal(err)
	}
	t.Setenv(FactsEnv, path)
}

func TestLoadSkipsOutsideARun(t *testing.T) {
	t.Setenv(FactsEnv, "")
	var skipped bool
	t.Run("inner", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Load(t)
	})
	if !skipped {
		t.Error("Load did not skip without " + FactsEnv)
	}
}

// The client goes through the ingress proxy, retries 503 on idempotent
// requests only, never retries 404, and keeps cookies per session.
func TestHTTPRetriesOnlyWhatIsRetryable(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.Method+" "+r.URL.Path]++
		n := hits[r.Method+" "+r.URL.Path]
		mu.Unlock()
		if r.URL.Host != "app.recipe-test.test" {
			http.Error(w, "not through the proxy with an absolute URL", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/flaky":
			if n <= 2 {
				http.Error(w, "starting", http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, `{"ok":true}`)
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
		case "/me":
			if c, err := r.Cookie("session"); err == nil && c.Value == "s1" {
				io.WriteString(w, "logged in")
				return
			}
			http.Error(w, "who?", http.StatusUnauthorized)
		default:
			http.NotFound(w, r)
		}
	}))
	defer proxy.Close()
	withFacts(t, Facts{Recipe: "x", Domain: "app.recipe-test.test", BaseURL: "http://app.recipe-test.test", ProxyURL: proxy.URL})
	env := Load(t)
	c := env.HTTP()
	c.backoff = 0
	var got struct{ OK bool }
	c.GetJSON(t, "/flaky", &got)
	if !got.OK || hits["GET /flaky"] != 3 {
		t.Errorf("GET /flaky: %+v after %d requests", got, hits["GET /flaky"])
	}
	if resp := c.Get(t, "/missing"); resp.Status != http.StatusNotFound || hits["GET /missing"] != 1 {
		t.Errorf("404 retried: %d requests", hits["GET /missing"])
	}
	req, _ := http.NewRequest(http.MethodPost, c.URL("/flaky"), bytes.NewReader([]byte("x")))
	if resp := c.Do(t, req); resp.Status != http.StatusServiceUnavailable || hits["POST /flaky"] != 1 {
		t.Errorf("POST answered 503 was retried: %d requests", hits["POST /flaky"])
	}
	s := env.Session()
	s.Get(t, "/login")
	if resp := s.Get(t, "/me"); resp.Status != http.StatusOK {
		t.Errorf("session lost its cookie: %d", resp.Status)
	}
	if resp := env.HTTP().Get(t, "/me"); resp.Status != http.StatusUnauthorized {
		t.Errorf("a plain client shares cookies: %d", resp.Status)
	}
}

// A credential is stable per name, announced once for masking, and never
// printed otherwise.
func TestCredentialAnnouncedOnce(t *testing.T) {
	withFacts(t, Facts{Recipe: "x", Domain: "d", BaseURL: "http://d", ProxyURL: "http://127.0.0.1:1"})
	env := Load(t)
	r, w, _ := os.Pipe()
	stdout := os.Stdout
	os.Stdout = w
	a, b, other := env.Credential(t, "admin"), env.Credential(t, "admin"), env.Credential(t, "user")
	os.Stdout = stdout
	w.Close()
	out, _ := io.ReadAll(r)
	if a != b || a == other || len(a) != 24 {
		t.Errorf("credentials %q %q %q", a, b, other)
	}
	if strings.Count(string(out), MaskPrefix+a) != 1 || strings.Count(string(out), a) != 1 || !strings.Contains(string(out), MaskPrefix+other) {
		t.Errorf("announcements:\n%s", out)
	}
}
