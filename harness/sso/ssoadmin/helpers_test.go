package ssoadmin

import (
	"net/http"
	"strings"
	"testing"
)

func TestUserName(t *testing.T) {
	for u, want := range map[User]string{
		{Username: "ada", GivenName: "Ada", FamilyName: "Lovelace"}: "Ada Lovelace",
		{Username: "ada", GivenName: "Ada"}:                         "Ada",
		{Username: "ada", FamilyName: "Lovelace"}:                   "Lovelace",
		{Username: "ada"}: "ada",
	} {
		if got := u.Name(); got != want {
			t.Errorf("%+v.Name() = %q, want %q", u, got, want)
		}
	}
}

func TestCreatedID(t *testing.T) {
	for loc, want := range map[string]string{
		"https://kc.example/admin/realms/r/clients/3f2a-01": "3f2a-01",
		"/admin/realms/r/users/u-1/":                        "u-1",
		"":                                                  "",
		"https://kc.example/":                               "",
	} {
		got, err := createdID(http.Header{"Location": {loc}})
		if want == "" {
			if err == nil {
				t.Errorf("createdID(%q) = %q, want an error", loc, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("createdID(%q) = %q, %v; want %q", loc, got, err, want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	if got := Excerpt(nil); got != "(empty body)" {
		t.Errorf("Excerpt(nil) = %q", got)
	}
	if got := Excerpt([]byte("a\n  b\tc")); got != "a b c" {
		t.Errorf("excerpt on one line = %q", got)
	}
	long := Excerpt([]byte(strings.Repeat("é", 400)))
	if !strings.HasSuffix(long, "…") || len(long) > 310 || !strings.HasPrefix(long, "éé") {
		t.Errorf("long excerpt %q (%d bytes)", long, len(long))
	}
}
