package keycloak

import (
	"embed"
	"strings"
	"testing"
)

// The fixtures in testdata/ are Keycloak's documented answers: the
// realm's public information (PublishedRealmRepresentation: realm,
// public_key, token-service, account-service, tokens-not-before), the
// health endpoints' SmallRye Health JSON ("Tracking instance status with
// health checks": {"status": "UP", "checks": [...]} with 200, 503 when a
// check is DOWN), the admin API's user search (a list of
// UserRepresentation). These tests need no app: they run with plain
// `go test`, and prove the suite reads what Keycloak sends.

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

func TestParseRealmInfo(t *testing.T) {
	ri, err := parseRealmInfo(fixture(t, "realm-master.json"))
	if err != nil {
		t.Fatal(err)
	}
	if ri.Realm != "master" || ri.TokenService != "https://keycloak.example.com/realms/master/protocol/openid-connect" {
		t.Errorf("parsed %+v", ri)
	}
	for name, bad := range map[string]string{
		"not JSON":        `<html>`,
		"no realm":        `{"public_key":"x","token-service":"y"}`,
		"key not base64":  `{"realm":"m","public_key":"!!","token-service":"y"}`,
		"key not a key":   `{"realm":"m","public_key":"aGVsbG8=","token-service":"y"}`,
		"no token servic": `{"realm":"m","public_key":"aGVsbG8="}`,
	} {
		if _, err := parseRealmInfo([]byte(bad)); err == nil {
			t.Errorf("%s: %s parsed", name, bad)
		}
	}
}

func TestParseHealthResponse(t *testing.T) {
	h, err := parseHealthResponse(string(fixture(t, "health-ready.http")))
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != "UP" || len(h.Checks) != 1 || !strings.Contains(h.Checks[0].Name, "database") || h.Checks[0].Status != "UP" {
		t.Errorf("parsed %+v", h)
	}
	// Chunked, as an HTTP/1.1 server may send it.
	chunked := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\ncontent-type: application/json\r\n\r\n" +
		"10\r\n{\"status\": \"UP\",\r\n" + "e\r\n \"checks\": []}\r\n0\r\n\r\n"
	if h, err := parseHealthResponse(chunked); err != nil || h.Status != "UP" || len(h.Checks) != 0 {
		t.Errorf("chunked: %+v, %v", h, err)
	}
	if _, err := parseHealthResponse(string(fixture(t, "health-down.http"))); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a DOWN check: err = %v, want one naming the 503", err)
	}
	if _, err := parseHealthResponse(""); err == nil {
		t.Error("no answer parsed")
	}
}

func TestParseUsers(t *testing.T) {
	us, err := parseUsers(fixture(t, "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 1 || us[0].Username != "ada" || us[0].Email != "ada@example.org" || us[0].FirstName != "Ada" ||
		us[0].LastName != "Lovelace" || !us[0].Enabled || !us[0].EmailVerified || us[0].ID == "" || us[0].Created == 0 {
		t.Errorf("parsed %+v", us)
	}
	if us, err := parseUsers([]byte(`[]`)); err != nil || len(us) != 0 {
		t.Errorf("no users: %v, %v", us, err)
	}
	for _, bad := range []string{`{"error":"HTTP 401 Unauthorized"}`, `[{"username":"ada"}]`} {
		if _, err := parseUsers([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}
