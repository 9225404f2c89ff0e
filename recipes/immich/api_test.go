package immich

import (
	"crypto/sha1"
	"embed"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness/shape"
)

// userResponse is what the tests read of POST /api/auth/admin-sign-up's
// answer (UserAdminResponseDto).
type userResponse struct {
	ID      string `json:"id"`
	Email   string `json:"email"`
	IsAdmin bool   `json:"isAdmin"`
}

// loginResponse is the answer of POST /api/auth/login.
type loginResponse struct {
	AccessToken string `json:"accessToken"`
	UserID      string `json:"userId"`
	UserEmail   string `json:"userEmail"`
	IsAdmin     bool   `json:"isAdmin"`
}

// apiKeyCreated is the answer of POST /api/api-keys: the key's secret,
// shown once, and the key.
type apiKeyCreated struct {
	Secret string `json:"secret"`
	APIKey struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Permissions []string `json:"permissions"`
	} `json:"apiKey"`
}

// uploaded is the answer of POST /api/assets (AssetMediaResponseDto).
type uploaded struct {
	ID     string `json:"id"`
	Status string `json:"status"` // created, replaced or duplicate
}

// asset is what the tests read of an AssetResponseDto.
type asset struct {
	ID               string  `json:"id"`
	DeviceAssetID    string  `json:"deviceAssetId"`
	OwnerID          string  `json:"ownerId"`
	Type             string  `json:"type"`
	OriginalFileName string  `json:"originalFileName"`
	Checksum         string  `json:"checksum"` // base64 of the original's SHA-1
	Thumbhash        *string `json:"thumbhash"`
}

// thumbnailed reports whether the asset's thumbnail job has run: it sets
// the thumbhash when it writes the thumbnail.
func (a asset) thumbnailed() bool { return a.Thumbhash != nil && *a.Thumbhash != "" }

// searchResponse is the answer of POST /api/search/metadata.
type searchResponse struct {
	Assets struct {
		Total    int     `json:"total"`
		Count    int     `json:"count"`
		Items    []asset `json:"items"`
		NextPage *string `json:"nextPage"`
	} `json:"assets"`
}

// find returns the asset with the id among the results.
func (s searchResponse) find(id string) (asset, bool) {
	for _, a := range s.Assets.Items {
		if a.ID == id {
			return a, true
		}
	}
	return asset{}, false
}

// apiError is Immich's error answer.
type apiError struct {
	Message    any `json:"message"` // a string, or a list of validation messages
	StatusCode int `json:"statusCode"`
}

func (e apiError) String() string { return fmt.Sprintf("%d: %v", e.StatusCode, e.Message) }

// checksum is an asset's checksum as Immich reports it: the base64 of the
// file's SHA-1.
func checksum(b []byte) string {
	s := sha1.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.json
var fixtures embed.FS

func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	shape.Fixture(t, fixtures, "testdata/"+name, out)
}

// The documented answers decode into what the recipe tests read.
func TestParseDocumentedAnswers(t *testing.T) {
	var ping struct {
		Res string `json:"res"`
	}
	decodeFixture(t, "ping.json", &ping)
	if ping.Res != "pong" {
		t.Errorf("ping %+v", ping)
	}
	var u userResponse
	decodeFixture(t, "admin-sign-up.json", &u)
	if !u.IsAdmin || u.ID == "" || u.Email != "admin@example.com" {
		t.Errorf("admin sign-up %+v", u)
	}
	var e apiError
	decodeFixture(t, "error-admin-exists.json", &e)
	if e.StatusCode != 400 || e.Message != "The server already has an admin" {
		t.Errorf("error %s", e)
	}
	var l loginResponse
	decodeFixture(t, "login.json", &l)
	if l.AccessToken == "" || l.UserID != u.ID || !l.IsAdmin {
		t.Errorf("login %+v", l)
	}
	var k apiKeyCreated
	decodeFixture(t, "api-key.json", &k)
	if k.Secret == "" || k.APIKey.Name != "recipe-test" || len(k.APIKey.Permissions) != 1 || k.APIKey.Permissions[0] != "all" {
		t.Errorf("API key %+v", k)
	}
	for name, want := range map[string]string{"upload-created.json": "created", "upload-duplicate.json": "duplicate"} {
		var up uploaded
		decodeFixture(t, name, &up)
		if up.ID == "" || up.Status != want {
			t.Errorf("%s: %+v", name, up)
		}
	}
	var a, pending asset
	decodeFixture(t, "asset.json", &a)
	decodeFixture(t, "asset-pending.json", &pending)
	if !a.thumbnailed() || pending.thumbnailed() {
		t.Errorf("thumbnailed: %v (with a thumbhash), %v (without)", a.thumbnailed(), pending.thumbnailed())
	}
	if a.Type != "IMAGE" || a.OriginalFileName != "recipe-test.jpg" || a.OwnerID != u.ID {
		t.Errorf("asset %+v", a)
	}
	// The documented checksum is the base64 SHA-1 of the bytes "test".
	if got := checksum([]byte("test")); got != a.Checksum {
		t.Errorf("checksum = %s, want %s", got, a.Checksum)
	}
	var s searchResponse
	decodeFixture(t, "search-metadata.json", &s)
	if got, ok := s.find(a.ID); !ok || got.Checksum != a.Checksum || s.Assets.Total != 1 || s.Assets.NextPage != nil {
		t.Errorf("search %+v", s)
	}
	if _, ok := s.find("00000000-0000-0000-0000-000000000000"); ok {
		t.Error("an asset the search lacks was found")
	}
}
