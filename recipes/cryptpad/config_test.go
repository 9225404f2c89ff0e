package cryptpad

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// clientConfig is what the tests read of GET /api/config: the client
// configuration CryptPad's HTTP server generates from its config.js.
type clientConfig struct {
	HTTPUnsafeOrigin string `json:"httpUnsafeOrigin"`
	HTTPSafeOrigin   string `json:"httpSafeOrigin"`
	WebsocketPath    string `json:"websocketPath"`
	FileHost         string `json:"fileHost"`
	MaxUploadSize    int64  `json:"maxUploadSize"`
}

// parseConfig reads the object of /api/config, a RequireJS module
// `define(function(){ var obj = {...}; ... return obj; });`.
func parseConfig(js string) (clientConfig, error) {
	var c clientConfig
	const start = "var obj = "
	i := strings.Index(js, start)
	if !strings.HasPrefix(strings.TrimSpace(js), "define(") || i < 0 {
		return c, fmt.Errorf("/api/config is not the RequireJS module CryptPad serves (no define( and %q): %.200q", start, js)
	}
	// The decoder reads the object literal (JSON) and stops after it.
	if err := json.NewDecoder(strings.NewReader(js[i+len(start):])).Decode(&c); err != nil {
		return c, fmt.Errorf("/api/config: the configuration object: %w", err)
	}
	if c.HTTPUnsafeOrigin == "" || c.HTTPSafeOrigin == "" {
		return c, fmt.Errorf("/api/config names no main or sandbox origin: %+v", c)
	}
	return c, nil
}

// assetRef matches a same-origin asset a page refers to.
var assetRef = regexp.MustCompile(`(?:src|href|data-main|data-bootload)="(/[^"/][^"]*)"`)

// assets lists the same-origin paths the page's shell loads, in order,
// without repeats.
func assets(page string) []string {
	var out []string
	for _, m := range assetRef.FindAllStringSubmatch(page, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// title is the page's <title>.
var title = regexp.MustCompile(`(?s)<title[^>]*>(.*?)</title>`)

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.html testdata/*.js
var fixtures embed.FS

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The documented /api/config decodes into the origins the tests check; a
// page that is not the module is refused.
func TestParseDocumentedConfig(t *testing.T) {
	c, err := parseConfig(fixture(t, "api-config.js"))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPUnsafeOrigin != "https://cryptpad.example.com" || c.HTTPSafeOrigin != "https://sandbox.cryptpad.example.com" ||
		c.WebsocketPath != "/cryptpad_websocket" || c.MaxUploadSize != 20971520 {
		t.Errorf("config %+v", c)
	}
	for name, bad := range map[string]string{
		"an HTML page":    fixture(t, "index.html"),
		"no origins":      `define(function(){ var obj = {"websocketPath": "/cryptpad_websocket"}; return obj; });`,
		"a broken object": `define(function(){ var obj = {"httpUnsafeOrigin": ; return obj; });`,
	} {
		if _, err := parseConfig(bad); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// The documented shell lists its title and the assets it loads from
// /customize/, /common/ and /components/.
func TestParseDocumentedShell(t *testing.T) {
	page := fixture(t, "index.html")
	m := title.FindStringSubmatch(page)
	if m == nil || !strings.Contains(m[1], "CryptPad") {
		t.Errorf("title %q", m)
	}
	want := []string{
		"/customize/favicon/main-favicon.png",
		"/customize/pre-loading.js?ver=1.1",
		"/customize/src/pre-loading.css?ver=1.0",
		"/customize/template.js",
		"/common/boot.js?ver=1.0",
		"/components/requirejs/require.js?ver=2.3.5",
	}
	if got := assets(page); !slices.Equal(got, want) {
		t.Errorf("assets\n got %q\nwant %q", got, want)
	}
}
