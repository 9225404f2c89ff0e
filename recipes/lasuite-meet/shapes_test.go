package lasuitemeet

import (
	"embed"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The fixtures in testdata/ are Meet's answers in the shapes of its REST
// API at v1.27.0 (suitenumerique/meet: core/api/serializers.py's
// RoomSerializer, with the accesses its owner sees and the livekit
// configuration of core/utils.py's generate_livekit_config), as POST
// /api/v1.0/rooms/ answers the owner, GET /api/v1.0/rooms/{slug}/ an
// anonymous guest of a public room, and GET /api/v1.0/rooms/ lists; their
// tokens are LiveKit access tokens as livekit-api's AccessToken.to_jwt
// makes them (HS256, the API key as issuer, the identity as subject, the
// video grants in camelCase) for the grants Meet's generate_token gives,
// signed with the fixture's secret (secret.txt). ice.json holds candidate
// lines as Chromium's RTCIceCandidate.candidate and LiveKit's trickle give
// them (RFC 8839). These tests need no app: they run with plain `go test`.

// fixtures are embedded, so that the precompiled test binary the action
// image carries (without the recipe's testdata/ folder) runs these too.
//
//go:embed testdata
var fixtures embed.FS

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// issued is a moment the fixtures' tokens are valid at.
var issued = time.Unix(1760000000+3600, 0)

func TestParseRooms(t *testing.T) {
	owner, err := parseRoom(fixture(t, "room_owner.json"))
	if err != nil {
		t.Fatal(err)
	}
	if owner.Slug != "abc-defg-hij" || owner.AccessLevel != "public" || len(owner.Accesses) != 1 || owner.Accesses[0].Role != "owner" ||
		owner.Accesses[0].User["email"] != "ada@example.org" || owner.LiveKit == nil || owner.LiveKit.Room != owner.ID {
		t.Errorf("owner's room %+v", owner)
	}
	guest, err := parseRoom(fixture(t, "room_guest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if guest.ID != owner.ID || len(guest.Accesses) != 0 || guest.LiveKit == nil || guest.LiveKit.Token == owner.LiveKit.Token {
		t.Errorf("guest's room %+v", guest)
	}
	var list struct {
		Results []room `json:"results"`
	}
	if err := json.Unmarshal(fixture(t, "rooms.json"), &list); err != nil || len(list.Results) != 1 || list.Results[0].ID != owner.ID {
		t.Errorf("rooms %+v (%v)", list, err)
	}
	for _, bad := range []string{`{"detail":"Not found."}`, `{"id":"x","name":"n","slug":"s","access_level":"public","livekit":{"url":"u"}}`, `[]`} {
		if _, err := parseRoom([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestParseToken(t *testing.T) {
	secret := strings.TrimSpace(string(fixture(t, "secret.txt")))
	owner, _ := parseRoom(fixture(t, "room_owner.json"))
	guest, _ := parseRoom(fixture(t, "room_guest.json"))
	o, err := parseToken(owner.LiveKit.Token, secret, issued)
	if err != nil {
		t.Fatal(err)
	}
	g, err := parseToken(guest.LiveKit.Token, secret, issued)
	if err != nil {
		t.Fatal(err)
	}
	if o.Issuer != "meet" || g.Issuer != "meet" || o.Video.Room != owner.ID || g.Video.Room != owner.ID || o.Identity == g.Identity ||
		!o.Video.RoomAdmin || g.Video.RoomAdmin || g.Name != "Guest abcdef" || g.Attributes["is_authenticated"] != "false" || o.Attributes["room_role"] != "owner" ||
		o.Video.CanSubscribe == nil || !*o.Video.CanSubscribe || len(o.Video.CanPublishSources) != 4 {
		t.Errorf("owner %+v, guest %+v", o, g)
	}
	tok := owner.LiveKit.Token
	for name, c := range map[string]struct {
		token, secret string
		now           time.Time
	}{
		"another secret":  {tok, "another-secret", issued},
		"expired":         {tok, secret, issued.Add(24 * time.Hour)},
		"not yet valid":   {tok, secret, issued.Add(-24 * time.Hour)},
		"tampered claims": {strings.Replace(tok, ".", ".e30", 1), secret, issued},
		"not a JWT":       {"abc.def", secret, issued},
		"no token":        {"", "", issued},
	} {
		if _, err := parseToken(c.token, c.secret, c.now); err == nil {
			t.Errorf("%s: the token passed", name)
		}
	}
	// Without the secret only the signature goes unchecked.
	if _, err := parseToken(tok, "", issued); err != nil {
		t.Errorf("without the secret: %v", err)
	}
}

func TestValidateURL(t *testing.T) {
	for server, want := range map[string]string{
		"https://meet.example.com":        "https://meet.example.com/rtc/validate?access_token=t.o.k",
		"wss://livekit.example.com/":      "https://livekit.example.com/rtc/validate?access_token=t.o.k",
		"ws://livekit.example.com:7880":   "http://livekit.example.com:7880/rtc/validate?access_token=t.o.k",
		"https://example.com/livekit/api": "https://example.com/livekit/api/rtc/validate?access_token=t.o.k",
	} {
		if got, err := validateURL(server, "t.o.k"); err != nil || got != want {
			t.Errorf("validateURL(%s) = %s, %v; want %s", server, got, err, want)
		}
	}
	if got, err := validateURL("https://meet.example.com", ""); err != nil || got != "https://meet.example.com/rtc/validate" {
		t.Errorf("without a token: %s, %v", got, err)
	}
	for _, bad := range []string{"ftp://x", "://", "meet.example.com"} {
		if _, err := validateURL(bad, "t"); err == nil {
			t.Errorf("%s passed", bad)
		}
	}
}

func TestParseCandidates(t *testing.T) {
	var got ice
	if err := json.Unmarshal(fixture(t, "ice.json"), &got); err != nil {
		t.Fatal(err)
	}
	want := []candidate{
		{"udp", "192.168.1.23", 54400, "host"}, {"tcp", "192.168.1.23", 9, "host"}, {"udp", "203.0.113.7", 54400, "srflx"},
		{"udp", "198.51.100.4", 7882, "host"}, {"tcp", "198.51.100.4", 7881, "host"},
	}
	lines := append(got.Local, got.Remote...)
	if len(lines) != len(want) {
		t.Fatalf("%d candidates", len(lines))
	}
	for i, line := range lines {
		c, err := parseCandidate(line)
		if err != nil || c != want[i] {
			t.Errorf("parseCandidate(%q) = %+v, %v; want %+v", line, c, err, want[i])
		}
	}
	if c, err := parseCandidate("a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ relay raddr 192.0.2.3 rport 45664"); err != nil || c.Type != "relay" || c.Protocol != "udp" {
		t.Errorf("an SDP attribute line: %+v, %v", c, err)
	}
	for _, bad := range []string{"", "candidate:1 1 udp 1 10.0.0.1 0 typ host", "candidate:1 1 sctp 1 10.0.0.1 5000 typ host", "candidate:1 1 udp 1 10.0.0.1 5000 typ bogus", "1 1 udp 1 10.0.0.1 5000 typ host", "candidate:1 1 udp 1 10.0.0.1 5000 host"} {
		if _, err := parseCandidate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
