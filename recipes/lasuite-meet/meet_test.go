// Package lasuitemeet holds the recipe tests of Co-op Cloud's lasuite-meet
// recipe (Meet, La Suite numérique's video conferencing on LiveKit),
// deployed with the Keycloak it requires (recipe.toml's [[requires]],
// reached as the dependency "kc"). With plain `go test` the tests that need
// the app skip; the parsing of Meet's answers, of LiveKit's access tokens
// and of ICE candidates is unit-tested against documented shapes
// (shapes_test.go, testdata/).
package lasuitemeet

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cc-ci/recipe-test/v2/harness"
	"github.com/cc-ci/recipe-test/v2/harness/sso"
)

// api is the path of Meet's REST API (API_VERSION v1.0).
const api = "/api/v1.0/"

// liveKit is the LiveKit part of a room's answer (generate_livekit_config):
// the server's URL, the LiveKit room (the room's id) and an access token.
type liveKit struct {
	URL   string `json:"url"`
	Room  string `json:"room"`
	Token string `json:"token"`
}

// room is Meet's RoomSerializer (POST /api/v1.0/rooms/, GET
// /api/v1.0/rooms/{id or slug}/): accesses only for its administrators and
// owners, livekit only for those who may enter it.
type room struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Slug          string         `json:"slug"`
	AccessLevel   string         `json:"access_level"`
	Configuration map[string]any `json:"configuration"`
	Accesses      []struct {
		ID   string         `json:"id"`
		Role string         `json:"role"`
		User map[string]any `json:"user"`
	} `json:"accesses"`
	LiveKit *liveKit `json:"livekit"`
}

// parseRoom decodes a room and checks what every registered room has: an
// id, a name and its slug.
func parseRoom(data []byte) (room, error) {
	var r room
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("room: %w: %.200s", err, data)
	}
	if r.ID == "" || r.Name == "" || r.Slug == "" || r.AccessLevel == "" {
		return r, fmt.Errorf("room without id, name, slug or access_level: %.200s", data)
	}
	if r.LiveKit != nil && (r.LiveKit.URL == "" || r.LiveKit.Room == "" || r.LiveKit.Token == "") {
		return r, fmt.Errorf("room with an incomplete livekit configuration: %.200s", data)
	}
	return r, nil
}

// grants are a LiveKit token's video grants (livekit-api's VideoGrants,
// camelCase in the token).
type grants struct {
	Room              string   `json:"room"`
	RoomJoin          bool     `json:"roomJoin"`
	RoomAdmin         bool     `json:"roomAdmin"`
	CanPublish        *bool    `json:"canPublish"`
	CanSubscribe      *bool    `json:"canSubscribe"`
	CanPublishSources []string `json:"canPublishSources"`
}

// claims are a LiveKit access token's claims (livekit-api's AccessToken):
// the API key as issuer, the participant's identity as subject.
type claims struct {
	Issuer     string            `json:"iss"`
	Identity   string            `json:"sub"`
	Name       string            `json:"name"`
	NotBefore  int64             `json:"nbf"`
	Expires    int64             `json:"exp"`
	Video      grants            `json:"video"`
	Attributes map[string]string `json:"attributes"`
}

// parseToken checks a LiveKit access token, an HS256 JWT signed with the
// API secret, and returns its claims: the signature (when secret is not
// empty), its validity at now, an issuer, an identity and a room to join.
func parseToken(token, secret string, now time.Time) (claims, error) {
	var c claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, fmt.Errorf("livekit token: %d parts, want a JWT's 3", len(parts))
	}
	head, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return c, fmt.Errorf("livekit token header: %w", err)
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(head, &h); err != nil || h.Alg != "HS256" {
		return c, fmt.Errorf("livekit token header %s: want alg HS256 (%v)", head, err)
	}
	if secret != "" {
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			return c, fmt.Errorf("livekit token signature: %w", err)
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if !hmac.Equal(sig, mac.Sum(nil)) {
			return c, fmt.Errorf("livekit token: not signed with the recipe's LiveKit API secret")
		}
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, fmt.Errorf("livekit token claims: %w", err)
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return c, fmt.Errorf("livekit token claims: %w: %.200s", err, body)
	}
	if c.Issuer == "" || c.Identity == "" || c.Video.Room == "" || !c.Video.RoomJoin {
		return c, fmt.Errorf("livekit token without an issuer, an identity or a room to join: %s", body)
	}
	if s := now.Unix(); c.Expires <= s || c.NotBefore > s+60 {
		return c, fmt.Errorf("livekit token not valid now (nbf %d, exp %d, now %d)", c.NotBefore, c.Expires, s)
	}
	return c, nil
}

// validateURL is LiveKit's token check for a server URL as Meet hands it
// out (ws(s):// or http(s)://): GET /rtc/validate?access_token=..., which
// answers 200 "success" to a token the server accepts and 401 to none.
func validateURL(server, token string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("livekit url %q: %w", server, err)
	}
	switch u.Scheme {
	case "wss", "https":
		u.Scheme = "https"
	case "ws", "http":
		u.Scheme = "http"
	default:
		return "", fmt.Errorf("livekit url %q: scheme %q", server, u.Scheme)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/rtc/validate"
	if token != "" {
		u.RawQuery = url.Values{"access_token": {token}}.Encode()
	}
	return u.String(), nil
}

// candidate is an ICE candidate line's fields (RFC 8839, section 5.1).
type candidate struct {
	Protocol string
	Address  string
	Port     int
	Type     string
}

// parseCandidate reads "candidate:<foundation> <component> <transport>
// <priority> <address> <port> typ <type> ..." as RTCIceCandidate.candidate
// has it.
func parseCandidate(line string) (candidate, error) {
	var c candidate
	f := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(line, "a="), "candidate:"))
	if !strings.Contains(line, "candidate:") || len(f) < 8 || f[6] != "typ" {
		return c, fmt.Errorf("not an ICE candidate: %q", line)
	}
	port, err := strconv.Atoi(f[5])
	if err != nil || port <= 0 || port > 65535 {
		return c, fmt.Errorf("ICE candidate %q: port %q", line, f[5])
	}
	c = candidate{Protocol: strings.ToLower(f[2]), Address: f[4], Port: port, Type: f[7]}
	if !slices.Contains([]string{"udp", "tcp"}, c.Protocol) || !slices.Contains([]string{"host", "srflx", "prflx", "relay"}, c.Type) {
		return c, fmt.Errorf("ICE candidate %q: transport %q, type %q", line, c.Protocol, c.Type)
	}
	return c, nil
}

// needsHTTPS skips a test that cannot work over the direct ingress's plain
// HTTP (see recipe.toml).
func needsHTTPS(t *testing.T, env *harness.Env) {
	t.Helper()
	if strings.HasPrefix(env.BaseURL, "http://") {
		t.Skip("needs the traefik ingress (--ingress traefik): Meet's Production configuration redirects plain HTTP to HTTPS and keeps its session cookie for HTTPS, its back channel to Keycloak needs Traefik in front of Keycloak's port 8080, and LiveKit's signalling and media go through Traefik's routers and entrypoints")
	}
}

// login logs the setup's user in through Meet's login (its authenticate
// endpoint sends the browser to Keycloak's login page) and waits until the
// browser is back on Meet.
func login(t *testing.T, env *harness.Env) *harness.Browser {
	t.Helper()
	kc := env.Dependency(t, "kc")
	u := sso.SetupUser(t, kc, sso.User{Email: "ada@example.org", GivenName: "Ada", FamilyName: "Lovelace"})
	return sso.LoginThroughApp(t, env, sso.AppLogin{Start: api + "authenticate/",
		ProviderPage: kc.URL + "/realms/meet/protocol/openid-connect/auth", Form: sso.KeycloakLogin}, u)
}

// fetchAPI sends a request to Meet's API from the logged-in page, as Meet's
// frontend does: with the session cookie and the csrftoken cookie's value
// in X-CSRFToken.
func fetchAPI(t *testing.T, b *harness.Browser, method, path string, in any) harness.FetchResponse {
	t.Helper()
	return b.Fetch(t, harness.FetchRequest{Method: method, Path: path, JSON: in, CookieHeaders: csrfHeader})
}

// csrfHeader is where Django's frontends send the csrftoken cookie.
var csrfHeader = map[string]string{"X-CSRFToken": "csrftoken"}

// roomName is a room name in the form Meet's frontend makes and its room
// route accepts (xxx-xxxx-xxx, lower-case letters), from a credential.
func roomName(t *testing.T, env *harness.Env, key string) string {
	t.Helper()
	var letters []rune
	for _, r := range strings.ToLower(env.Credential(t, key) + env.Credential(t, key+"-more")) {
		if r >= 'a' && r <= 'z' {
			letters = append(letters, r)
		}
	}
	if len(letters) < 10 {
		t.Fatalf("too few letters for a room name from two credentials")
	}
	s := string(letters)
	return s[:3] + "-" + s[3:7] + "-" + s[7:10]
}

// createRoom makes a public room as the logged-in user.
func createRoom(t *testing.T, env *harness.Env, b *harness.Browser) room {
	t.Helper()
	name := roomName(t, env, "room")
	res := fetchAPI(t, b, http.MethodPost, api+"rooms/", map[string]string{"name": name, "access_level": "public"})
	if res.Status != http.StatusCreated {
		t.Fatalf("POST %srooms/: %d %.300s", api, res.Status, res.Body)
	}
	r, err := parseRoom([]byte(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != name || r.Slug != name || r.AccessLevel != "public" {
		t.Fatalf("the new room %+v, want %s, public", r, name)
	}
	return r
}

// Port of the predecessor's health check: the frontend's home page answers
// through the app's nginx; over HTTPS the backend answers its public
// configuration and the LiveKit server its token check (401 without a
// token); over plain HTTP the backend redirects to HTTPS.
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
	var cfg struct {
		LanguageCode string `json:"LANGUAGE_CODE"`
		Resource     struct {
			DefaultAccessLevel string `json:"default_access_level"`
		} `json:"resource"`
	}
	c.Get(t, api+"config/").WantStatus(t, http.StatusOK).JSON(t, &cfg)
	if cfg.LanguageCode == "" || cfg.Resource.DefaultAccessLevel != "public" {
		t.Errorf("configuration %+v, want a language and the recipe's default access level public", cfg)
	}
	u, err := validateURL(env.BaseURL, "")
	if err != nil {
		t.Fatal(err)
	}
	if resp := c.Get(t, strings.TrimPrefix(u, env.BaseURL)); resp.Status != http.StatusUnauthorized {
		t.Errorf("LiveKit's /rtc/validate without a token: %d %.100s, want 401 from the LiveKit server", resp.Status, resp.Body)
	}
}

// Logged in through Keycloak in Chromium, a room created through Meet's
// REST API is read back by slug and by id (name, access level, the user
// its owner) and listed among the user's rooms.
func TestRoomRoundTrip(t *testing.T) {
	env := harness.Load(t)
	needsHTTPS(t, env)
	b := login(t, env)
	var who struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if res := fetchAPI(t, b, http.MethodGet, api+"users/me/", nil); res.Status != http.StatusOK || json.Unmarshal([]byte(res.Body), &who) != nil || who.Email != "ada@example.org" {
		t.Fatalf("GET %susers/me/ logged in: %d %.200s, want the setup's user ada@example.org", api, res.Status, res.Body)
	}
	made := createRoom(t, env, b)
	for _, key := range []string{made.Slug, made.ID} {
		res := fetchAPI(t, b, http.MethodGet, api+"rooms/"+key+"/", nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %srooms/%s/: %d %.300s", api, key, res.Status, res.Body)
		}
		got, err := parseRoom([]byte(res.Body))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != made.ID || got.Name != made.Name || got.AccessLevel != "public" || got.LiveKit == nil || got.LiveKit.Room != made.ID {
			t.Errorf("read back by %s: %+v, want %s (%s, public, with LiveKit's room %s)", key, got, made.ID, made.Name, made.ID)
		}
		if len(got.Accesses) != 1 || got.Accesses[0].Role != "owner" || got.Accesses[0].User["id"] != who.ID {
			t.Errorf("the room's accesses %+v, want the user %s as its only owner", got.Accesses, who.ID)
		}
	}
	res := fetchAPI(t, b, http.MethodGet, api+"rooms/", nil)
	var list struct {
		Results []room `json:"results"`
	}
	if res.Status != http.StatusOK || json.Unmarshal([]byte(res.Body), &list) != nil || !slices.ContainsFunc(list.Results, func(r room) bool { return r.ID == made.ID }) {
		t.Errorf("GET %srooms/: %d %.300s, want the new room listed", api, res.Status, res.Body)
	}
}

// The owner of a public room and an anonymous guest each get a LiveKit
// access token for it from Meet: signed with the recipe's LiveKit API
// secret, for the same LiveKit room and API key, with distinct identities;
// LiveKit's server accepts both, and refuses a token with a forged
// signature.
func TestLiveKitTokensForTwoUsers(t *testing.T) {
	env := harness.Load(t)
	needsHTTPS(t, env)
	secret := env.Secret(t, "livekit_api_secret")
	b := login(t, env)
	made := createRoom(t, env, b)
	if made.LiveKit == nil {
		t.Fatalf("the owner's room has no livekit configuration")
	}
	owner, err := parseToken(made.LiveKit.Token, secret, time.Now())
	if err != nil {
		t.Fatalf("the owner's token: %v", err)
	}
	guestName := "Guest " + strings.ToLower(env.Credential(t, "guest")[:6])
	resp := env.HTTP().Get(t, api+"rooms/"+made.Slug+"/?username="+url.QueryEscape(guestName)).WantStatus(t, http.StatusOK)
	gr, err := parseRoom(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if gr.LiveKit == nil || len(gr.Accesses) != 0 {
		t.Fatalf("the guest's view of the public room %+v: want a livekit configuration and no accesses", gr)
	}
	guest, err := parseToken(gr.LiveKit.Token, secret, time.Now())
	if err != nil {
		t.Fatalf("the guest's token: %v", err)
	}
	if owner.Video.Room != made.ID || guest.Video.Room != made.ID || owner.Issuer != guest.Issuer || owner.Identity == guest.Identity {
		t.Errorf("tokens for rooms %s and %s, issuers %s and %s, identities %s and %s: want room %s, one API key, two participants",
			owner.Video.Room, guest.Video.Room, owner.Issuer, guest.Issuer, owner.Identity, guest.Identity, made.ID)
	}
	if !owner.Video.RoomAdmin || guest.Video.RoomAdmin || guest.Name != guestName || guest.Attributes["is_authenticated"] != "false" || owner.Attributes["room_role"] != "owner" {
		t.Errorf("owner %+v, guest %+v: want room admin for the owner only and the guest named %q", owner, guest, guestName)
	}
	hc := env.HTTPClient()
	check := func(token string) (int, string) {
		t.Helper()
		u, err := validateURL(made.LiveKit.URL, token)
		if err != nil {
			t.Fatal(err)
		}
		r, err := hc.Get(u)
		if err != nil {
			t.Fatalf("LiveKit's /rtc/validate: %v", err)
		}
		defer r.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<10))
		return r.StatusCode, strings.TrimSpace(string(body))
	}
	for who, token := range map[string]string{"owner": made.LiveKit.Token, "guest": gr.LiveKit.Token} {
		if code, body := check(token); code != http.StatusOK || body != "success" {
			t.Errorf("LiveKit refused the %s's token: %d %q", who, code, body)
		}
	}
	forged := made.LiveKit.Token[:strings.LastIndex(made.LiveKit.Token, ".")+1] + base64.RawURLEncoding.EncodeToString([]byte("forged-signature-forged-signatur"))
	if code, _ := check(forged); code != http.StatusUnauthorized {
		t.Errorf("LiveKit's answer to a forged token: %d, want 401", code)
	}
}

// recordICE wraps RTCPeerConnection in every document of the page before
// the app's scripts run: the candidates each connection gathers (local)
// and those it is given (remote, trickled by LiveKit's signalling).
const recordICE = `(() => {
  if (window.__rtIce || !window.RTCPeerConnection) return;
  const ice = window.__rtIce = {local: [], remote: [], states: []};
  const Orig = window.RTCPeerConnection;
  const Wrapped = function (...args) {
    const pc = new Orig(...args);
    pc.addEventListener("icecandidate", (e) => { if (e.candidate && e.candidate.candidate) ice.local.push(e.candidate.candidate); });
    pc.addEventListener("iceconnectionstatechange", () => ice.states.push(pc.iceConnectionState));
    const add = pc.addIceCandidate.bind(pc);
    pc.addIceCandidate = (c, ...rest) => { if (c && c.candidate) ice.remote.push(c.candidate); return add(c, ...rest); };
    return pc;
  };
  Wrapped.prototype = Orig.prototype;
  Object.setPrototypeOf(Wrapped, Orig);
  window.RTCPeerConnection = Wrapped;
})();`

// ice is what recordICE gathered.
type ice struct {
	Local  []string `json:"local"`
	Remote []string `json:"remote"`
	States []string `json:"states"`
}

// A guest joins a public room's page in Chromium, through Meet's own join
// button: the page's RTCPeerConnections (livekit-client's) gather local
// ICE candidates and receive LiveKit's, all well-formed.
func TestICECandidatesInBrowser(t *testing.T) {
	env := harness.Load(t)
	needsHTTPS(t, env)
	made := createRoom(t, env, login(t, env))
	b := env.Browser(t)
	b.Do(t, "recording ICE candidates", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordICE})
		return chromedp.Void{}, err
	})
	b.Navigate(t, "/"+made.Slug)
	// Meet's pre-join screen: a name for the guest, then its join button.
	b.Do(t, "joining the room", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](`(() => {
  const input = document.querySelector("input[type=text], input:not([type])");
  if (input && !input.value) { const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set; set.call(input, "recipe-test guest"); input.dispatchEvent(new Event("input", {bubbles: true})); }
  const join = [...document.querySelectorAll("button")].find((x) => /^\s*join/i.test(x.textContent) && !x.disabled);
  if (!join) return false;
  join.click();
  return true;
})()`, chromedp.WithPollingInterval(500*time.Millisecond), chromedp.WithPollingTimeout(time.Minute))(ctx, tg)
		return chromedp.Void{}, err
	})
	var got ice
	b.Do(t, "ICE candidates gathered", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		v, err := chromedp.Poll[string](`window.__rtIce && window.__rtIce.local.length > 0 && window.__rtIce.remote.length > 0 && JSON.stringify(window.__rtIce)`,
			chromedp.WithPollingInterval(500*time.Millisecond), chromedp.WithPollingTimeout(time.Minute))(ctx, tg)
		if err == nil {
			err = json.Unmarshal([]byte(v), &got)
		}
		return chromedp.Void{}, err
	})
	b.Screenshot(t, "in-room")
	types := map[string]int{}
	for _, line := range append(slices.Clone(got.Local), got.Remote...) {
		c, err := parseCandidate(line)
		if err != nil {
			t.Error(err)
			continue
		}
		types[c.Type]++
	}
	t.Logf("ICE: %d local and %d remote candidates (types %v), connection states %v", len(got.Local), len(got.Remote), types, got.States)
	if len(got.Local) == 0 || len(got.Remote) == 0 {
		t.Errorf("ICE candidates: %d local, %d remote; want both", len(got.Local), len(got.Remote))
	}
}
