package mailu

import (
	"embed"
	"encoding/json"
	"testing"
)

// user is Mailu's User model: the answer of GET /api/v1/user/{email}.
type user struct {
	Email      string `json:"email"`
	Comment    string `json:"comment"`
	QuotaBytes int64  `json:"quota_bytes"`
	Enabled    bool   `json:"enabled"`
	EnableIMAP bool   `json:"enable_imap"`
	Admin      bool   `json:"global_admin"`
}

// domain is the Domain model: GET /api/v1/domain/{domain}.
type domain struct {
	Name          string `json:"name"`
	MaxUsers      int    `json:"max_users"`
	SignupEnabled bool   `json:"signup_enabled"`
}

// result is what creating an object answers, and message alone is an
// error's body (Flask-RESTX's abort).
type result struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.json testdata/*.txt
var fixtures embed.FS

func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// The documented answers decode into what the recipe tests read.
func TestParseDocumentedAnswers(t *testing.T) {
	var u user
	decodeFixture(t, "user.json", &u)
	if u.Email == "" || !u.Enabled || !u.EnableIMAP || u.Admin || u.Comment != "recipe-test" || u.QuotaBytes <= 0 {
		t.Errorf("user %+v", u)
	}
	var d domain
	decodeFixture(t, "domain.json", &d)
	if d.Name == "" || d.MaxUsers != -1 || d.SignupEnabled {
		t.Errorf("domain %+v", d)
	}
	var r result
	decodeFixture(t, "created.json", &r)
	if r.Code != 200 || r.Message == "" {
		t.Errorf("created %+v", r)
	}
	for _, name := range []string{"error-unauthorized.json", "error-forbidden.json"} {
		var e result
		decodeFixture(t, name, &e)
		if e.Message == "" || e.Code != 0 {
			t.Errorf("%s: %+v", name, e)
		}
	}
}
