package naming

import (
	"bytes"
	"strings"
	"testing"
)

func TestAbbrev(t *testing.T) {
	for in, want := range map[string]string{
		"bonfire": "bonf", "go-ssb-room": "goss", "n8n": "n8n", "A": "a", "---": "app", "Köln": "kln",
	} {
		if got := Abbrev(in); got != want {
			t.Errorf("Abbrev(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDomainAndStack(t *testing.T) {
	id, err := NewRunID(bytes.NewReader([]byte{0xc1, 0x2a, 0xfe}))
	if err != nil || id != "c12afe" {
		t.Fatalf("NewRunID = %q, %v", id, err)
	}
	d, err := Domain("keycloak", id, "ci.commoninternet.net")
	if err != nil {
		t.Fatal(err)
	}
	if d != "keyc-c12afe.ci.commoninternet.net" {
		t.Errorf("domain = %q", d)
	}
	if s := StackName(d); s != "keyc-c12afe_ci_commoninternet_net" {
		t.Errorf("stack = %q", s)
	}
	if !IsRunStack(StackName(d)) {
		t.Errorf("IsRunStack(%q) = false", StackName(d))
	}
	d2, _ := Domain("x", "abcdef", "")
	if !strings.HasSuffix(d2, "."+DefaultSuffix) {
		t.Errorf("default suffix not used: %q", d2)
	}
}

func TestStackNameCut(t *testing.T) {
	long := "abcd-123456." + strings.Repeat("sub.", 12) + "example.org"
	s := StackName(long)
	if len(s) != MaxStackName || strings.Contains(s, ".") {
		t.Errorf("StackName = %q (%d)", s, len(s))
	}
}

func TestIsRunStackRejectsOthers(t *testing.T) {
	for _, s := range []string{"traefik", "bonfire_example_com", "keyc-c12afe", "keyc-C12AFE_x", "toolong-c12afe_x", "keyc-c12af_x"} {
		if IsRunStack(s) {
			t.Errorf("IsRunStack(%q) = true", s)
		}
	}
}

func TestValidDomain(t *testing.T) {
	for _, bad := range []string{"", "UPPER.test", "a..b", "-a.test", "a_b.test", strings.Repeat("a", 64) + ".test"} {
		if ValidDomain(bad) == nil {
			t.Errorf("ValidDomain(%q) accepted", bad)
		}
	}
	if _, err := Domain("x", "abcdef", "bad_suffix"); err == nil {
		t.Error("Domain accepted an underscore suffix")
	}
}

func TestCheckNames(t *testing.T) {
	if err := CheckObjectName("secret", "keyc-c12afe_ci_commoninternet_net_db_password_v1"); err != nil {
		t.Error(err)
	}
	long := strings.Repeat("a", 65)
	if err := CheckObjectName("secret", long); err == nil || !strings.Contains(err.Error(), "over swarm's limit of 64") {
		t.Errorf("long secret: %v", err)
	}
	if err := CheckObjectName("config", "bad_name_"); err == nil {
		t.Error("trailing underscore accepted")
	}
	if err := CheckServiceName(strings.Repeat("s", 64)); err == nil {
		t.Error("64-char service accepted")
	}
}
