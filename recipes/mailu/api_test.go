package mailu

import (
	"embed"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/cc-ci/recipe-test/v2/harness/shape"
)

// newDomain is the body of POST /api/v1/domain (create_domain, the Domain
// model): name is the one property the model requires.
type newDomain struct {
	Name string `json:"name"`
}

// newUser is the body of POST /api/v1/user (create_user, the UserCreate
// model): email and raw_password are required; the others keep Mailu's
// defaults when left out.
type newUser struct {
	Email       string `json:"email"`
	RawPassword string `json:"raw_password"`
	Comment     string `json:"comment"`
	EnableIMAP  bool   `json:"enable_imap"`
	QuotaBytes  int64  `json:"quota_bytes"`
}

// user is Mailu's UserGet model: the answer of GET /api/v1/user/{email}
// (find_user), which marshals every field of the model.
type user struct {
	Email      string `json:"email"`
	Comment    string `json:"comment"`
	QuotaBytes int64  `json:"quota_bytes"`
	Enabled    bool   `json:"enabled"`
	EnableIMAP bool   `json:"enable_imap"`
	Admin      bool   `json:"global_admin"`
}

// domain is the DomainGet model: GET /api/v1/domain/{domain}
// (find_domain).
type domain struct {
	Name          string `json:"name"`
	MaxUsers      int    `json:"max_users"`
	SignupEnabled bool   `json:"signup_enabled"`
}

// result is the Response model (code and message) that creating an object
// answers, with 200, and a refusal the API itself decides (400, 404, 409);
// the token's refusals (401, 403) and the rate limit (429) are
// Flask-RESTX's abort, whose body has the message alone.
type result struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message"`
}

// fixtures are the documented answers, carried by the test binary: the
// action image runs it without the recipe's testdata folder.
//
//go:embed testdata/*.json testdata/*.txt
var fixtures embed.FS

// decodeFixture decodes a documented answer into out, after checking that
// the answer has every field out's type reads (shape.Missing): a field the
// suite reads under a name the document does not have fails here, not as a
// zero value against the app.
func decodeFixture(t *testing.T, name string, out any) {
	t.Helper()
	shape.Fixture(t, fixtures, "testdata/"+name, out)
}

// The documented answers decode into what the recipe tests read.
func TestParseDocumentedAnswers(t *testing.T) {
	var u user
	decodeFixture(t, "user.json", &u)
	if u.Email != "rt-user@mail.example.com" || !u.Enabled || !u.EnableIMAP || u.Admin || u.Comment != "recipe-test" || u.QuotaBytes != 100000000 {
		t.Errorf("user %+v", u)
	}
	var d domain
	decodeFixture(t, "domain.json", &d)
	if d.Name != "mail.example.com" || d.MaxUsers != -1 || d.SignupEnabled {
		t.Errorf("domain %+v", d)
	}
	var r result
	decodeFixture(t, "created.json", &r)
	if r.Code != 200 || !strings.Contains(r.Message, "has been created") {
		t.Errorf("created %+v", r)
	}
	r = result{}
	decodeFixture(t, "domain-duplicate.json", &r)
	if r.Code != 409 || !strings.Contains(r.Message, "mail.example.com") {
		t.Errorf("a duplicate domain %+v", r)
	}
	for _, name := range []string{"error-unauthorized.json", "error-forbidden.json"} {
		var e result
		decodeFixture(t, name, &e)
		if e.Message == "" || e.Code != 0 {
			t.Errorf("%s: %+v", name, e)
		}
	}
}

// The suite's request bodies are the documented models
// (testdata/domain-create-request.json, user-create-request.json): no
// property the model lacks, and every one it requires.
func TestRequestBodies(t *testing.T) {
	for _, c := range []struct {
		doc      string
		body     any
		required []string
	}{
		{"domain-create-request.json", newDomain{Name: "mail.example.com"}, []string{"name"}},
		{"user-create-request.json", newUser{Email: "rt@mail.example.com", RawPassword: "secret", Comment: "recipe-test", EnableIMAP: true, QuotaBytes: 1}, []string{"email", "raw_password"}},
	} {
		b, err := json.Marshal(c.body)
		if err != nil {
			t.Fatal(err)
		}
		var sent, doc map[string]any
		if err := json.Unmarshal(b, &sent); err != nil {
			t.Fatal(err)
		}
		decodeFixture(t, c.doc, &doc)
		for k := range sent {
			if _, ok := doc[k]; !ok {
				t.Errorf("%s: the suite sends %q, which the model does not have", c.doc, k)
			}
		}
		for _, k := range c.required {
			if _, ok := sent[k]; !ok {
				t.Errorf("%s: the suite does not send %q, which the model requires", c.doc, k)
			}
		}
	}
}

// A documented answer lacking a field the suite reads is refused, naming
// it; an optional one (omitempty) may be absent.
func TestDocumentedFieldsChecked(t *testing.T) {
	doc := map[string]any{"email": "a@b.example", "comment": "", "quota_bytes": 1.0, "enabled": true, "global_admin": false}
	if err := shape.Missing(doc, reflect.TypeOf(user{})); err == nil || !strings.Contains(err.Error(), "$.enable_imap is missing") {
		t.Errorf("a user without enable_imap: %v", err)
	}
	if err := shape.Missing(map[string]any{"message": "Invalid API token"}, reflect.TypeOf(result{})); err != nil {
		t.Errorf("an abort's body without code: %v", err)
	}
	if err := shape.Missing([]any{}, reflect.TypeOf(domain{})); err == nil {
		t.Error("an array was accepted as a domain")
	}
}
