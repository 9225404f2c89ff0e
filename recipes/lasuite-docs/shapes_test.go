package lasuitedocs

import (
	"embed"
	"encoding/json"
	"net/http"
	"testing"
)

// The fixtures in testdata/ are Docs' answers in the shapes of its REST
// API at v5.4.1 (suitenumerique/docs: core/api/serializers.py and
// viewsets.py): the public configuration (ConfigView), the current user
// (UserSerializer) and a document as POST /api/v1.0/documents/ and GET
// /api/v1.0/documents/{id}/ answer it (DocumentSerializer, with the
// abilities of Document.get_abilities). These tests need no app: they run
// with plain `go test`, and prove the suite reads what Docs sends.

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

func TestParseConfig(t *testing.T) {
	c, err := parseConfig(fixture(t, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaBaseURL != "https://docs.example.com" || c.CollaborationWSURL != "wss://docs.example.com/collaboration/ws/" ||
		c.LanguageCode != "en-us" || len(c.Languages) != 5 || c.Languages[0][0] != "en-us" || c.Environment != "production" {
		t.Errorf("parsed %+v", c)
	}
	for _, bad := range []string{`<html>`, `{"MEDIA_BASE_URL":"x"}`, `{"LANGUAGES":[["en"]],"LANGUAGE_CODE":"en"}`} {
		if _, err := parseConfig([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestParseDocument(t *testing.T) {
	d, err := parseDocument(fixture(t, "document.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d.ID == "" || d.Title != "recipe-test round trip" || d.UserRole != "owner" || d.LinkReach != "restricted" ||
		d.Creator == "" || d.Abilities["destroy"] != true || d.Depth != 1 {
		t.Errorf("parsed %+v", d)
	}
	var who me
	if err := json.Unmarshal(fixture(t, "me.json"), &who); err != nil || who.ID != d.Creator || who.Email != "ada@example.org" || who.FullName != "Ada Lovelace" {
		t.Errorf("the current user %+v (%v) is not the document's creator %s", who, err, d.Creator)
	}
	for _, bad := range []string{`{"detail":"Authentication credentials were not provided."}`, `{"id":"x"}`, `[]`} {
		if _, err := parseDocument([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestAnonymousStatus(t *testing.T) {
	for code, want := range map[int]bool{http.StatusUnauthorized: true, http.StatusForbidden: true, http.StatusOK: false, http.StatusMovedPermanently: false, http.StatusNotFound: false, http.StatusInternalServerError: false} {
		if anonymousStatus(code) != want {
			t.Errorf("anonymousStatus(%d) = %v", code, !want)
		}
	}
}
