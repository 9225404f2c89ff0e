package lasuitedrive

import (
	"embed"
	"net/http"
	"strings"
	"testing"
)

// The fixtures in testdata/ are Drive's answers in the shapes of its REST
// API at v0.21.1 (suitenumerique/drive: core/api/serializers.py,
// viewsets.py and utils.py): the public configuration (ConfigView), a
// folder and a file as POST /api/v1.0/items/ and POST .../children/ answer
// them (CreateItemSerializer, a new file with its presigned upload URL from
// generate_upload_policy), the file once ready (ItemSerializer) and a page
// of a folder's children (ListItemSerializer in Pagination). These tests
// need no app: they run with plain `go test`, and prove the suite reads
// what Drive sends.

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
	if c.MediaBaseURL != "https://drive.example.com" || c.UploadACL != "private" || c.MaxUploadBytes != 2<<30 || c.LanguageCode != "en-us" || len(c.Languages) != 4 {
		t.Errorf("parsed %+v", c)
	}
	for _, bad := range []string{`<html>`, `{"MEDIA_BASE_URL":"x"}`, `{"LANGUAGES":[["en","English"]],"LANGUAGE_CODE":"en"}`} {
		if _, err := parseConfig([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestParseItems(t *testing.T) {
	folder, err := parseItem(fixture(t, "folder_created.json"))
	if err != nil {
		t.Fatal(err)
	}
	if folder.Type != "folder" || folder.UserRole != "owner" || folder.Policy != nil || folder.Creator["full_name"] != "Ada Lovelace" {
		t.Errorf("folder %+v", folder)
	}
	file, err := parseItem(fixture(t, "file_created.json"))
	if err != nil {
		t.Fatal(err)
	}
	if file.Type != "file" || file.UploadState == nil || *file.UploadState != "pending" || file.Policy == nil || file.URL != nil ||
		file.Filename == nil || *file.Filename != "recipe-test-abc.txt" || !strings.HasPrefix(file.Path, folder.ID+".") {
		t.Errorf("new file %+v", file)
	}
	if err := checkPolicy(*file.Policy, "https://drive.example.com", file); err != nil {
		t.Errorf("the documented upload policy: %v", err)
	}
	children, err := parseChildren(fixture(t, "children.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(children) != 1 {
		t.Fatalf("children %+v", children)
	}
	ready := children[0]
	if ready.ID != file.ID || ready.UploadState == nil || *ready.UploadState != "ready" || ready.Size == nil || *ready.Size != 38 ||
		ready.Mimetype == nil || *ready.Mimetype != "text/plain" || ready.URL == nil || *ready.URL != "https://drive.example.com/media/item/"+file.ID+"/recipe-test-abc.txt" {
		t.Errorf("listed file %+v", ready)
	}
	if one, err := parseItem(fixture(t, "file_ready.json")); err != nil || one.ID != ready.ID || *one.UploadState != "ready" {
		t.Errorf("the ready file %+v (%v)", one, err)
	}
	for _, bad := range []string{`{"detail":"Authentication credentials were not provided."}`, `{"id":"x","type":"file"}`, `[]`} {
		if _, err := parseItem([]byte(bad)); err == nil {
			t.Errorf("item %s parsed", bad)
		}
	}
	for _, bad := range []string{`{"detail":"Not found."}`, `{"count":1,"results":[{"id":"x"}]}`, `[]`} {
		if _, err := parseChildren([]byte(bad)); err == nil {
			t.Errorf("children %s parsed", bad)
		}
	}
}

func TestCheckPolicy(t *testing.T) {
	file, err := parseItem(fixture(t, "file_created.json"))
	if err != nil {
		t.Fatal(err)
	}
	good := *file.Policy
	for name, c := range map[string]struct{ policy, base string }{
		"another host":     {good, "https://other.example.com"},
		"plain http":       {good, "http://drive.example.com"},
		"unsigned":         {strings.Replace(good, "X-Amz-Signature=", "X-Amz-Nothing=", 1), "https://drive.example.com"},
		"another item key": {strings.Replace(good, file.ID, "00000000-0000-0000-0000-000000000000", 1), "https://drive.example.com"},
		"not a URL":        {"://", "https://drive.example.com"},
	} {
		if err := checkPolicy(c.policy, c.base, file); err == nil {
			t.Errorf("%s: the policy passed", name)
		}
	}
}

func TestAnonymousStatus(t *testing.T) {
	for code, want := range map[int]bool{http.StatusUnauthorized: true, http.StatusForbidden: true, http.StatusOK: false, http.StatusFound: false, http.StatusNotFound: false} {
		if anonymousStatus(code) != want {
			t.Errorf("anonymousStatus(%d) = %v", code, !want)
		}
	}
}
