package redact

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestURLCredentials(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://user:tok3n@git.example.org/r/x.git", "https://***@git.example.org/r/x.git"},
		{"cloning https://ghp_abc123@github.com/o/r: denied", "cloning https://***@github.com/o/r: denied"},
		{`Get "http://u:p@ss@host:3000/x": EOF`, `Get "http://***@host:3000/x": EOF`},
		{"ssh://git@host/x.git and git@host:x.git", "ssh://git@host/x.git and git@host:x.git"},
		{"ssh://git:pw@host/x.git", "ssh://***@host/x.git"},
		{"mail bob@example.org, see https://example.org/a", "mail bob@example.org, see https://example.org/a"},
		{`["https://example.org","a@b"]`, `["https://example.org","a@b"]`},
		{"postgres://app:s3cret@db:5432/app?sslmode=disable", "postgres://***@db:5432/app?sslmode=disable"},
		{"no url at all", "no url at all"},
	} {
		if got := URLCredentials(tc.in); got != tc.want {
			t.Errorf("URLCredentials(%q) = %q, want %q", tc.in, got, tc.want)
		}
		var r Redactor
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestURLSecrets(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"https://user:tok%2F3n@host/x", []string{"tok/3n", "tok%2F3n", "user"}},
		{"https://ghp_abc@host/x", []string{"ghp_abc"}},
		{"ssh://git@host/x", nil},
		{"https://host/x", nil},
		{"/a/folder", nil},
	} {
		if got := URLSecrets(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("URLSecrets(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Value masks every string of a model in place, however deep, and leaves
// everything else alone.
func TestValue(t *testing.T) {
	type inner struct {
		Name string
		Tags []string
		Env  map[string]string
	}
	type status string
	type model struct {
		Status  status
		Top     string
		When    time.Time
		N       int
		Items   []inner
		Ptr     *inner
		private string
	}
	var r Redactor
	r.Add("s3cr3t")
	when := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	m := model{Status: "s3cr3t", Top: "a s3cr3t", When: when, N: 7, private: "s3cr3t",
		Items: []inner{{Name: "s3cr3t!", Tags: []string{"x", "s3cr3t"}, Env: map[string]string{"K": "v=s3cr3t"}}},
		Ptr:   &inner{Name: "https://u:p@h/x"}}
	r.Value(&m)
	got := strings.Join([]string{m.Top, m.Items[0].Name, m.Items[0].Tags[1], m.Items[0].Env["K"], m.Ptr.Name}, "|")
	if want := "a ***|***!|***|v=***|https://***@h/x"; got != want {
		t.Errorf("masked %q, want %q", got, want)
	}
	if !m.When.Equal(when) || m.N != 7 || m.Status != "s3cr3t" || m.private != "s3cr3t" || m.Items[0].Tags[0] != "x" {
		t.Errorf("touched what is not a public string: %+v", m)
	}
}
