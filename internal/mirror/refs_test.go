package mirror

import (
	"slices"
	"testing"
)

func TestRefsDiff(t *testing.T) {
	want := Refs{"refs/heads/main": "a", "refs/heads/feature": "b", "refs/tags/1.0.0": "c"}
	have := Refs{"refs/heads/main": "a", "refs/heads/feature": "old", "refs/heads/gone": "d", "refs/tags/0.9.0": "e"}
	missing, extra := want.diff(have)
	if !slices.Equal(missing, []string{"refs/heads/feature", "refs/tags/1.0.0"}) || !slices.Equal(extra, []string{"refs/heads/gone", "refs/tags/0.9.0"}) {
		t.Errorf("missing %v, extra %v", missing, extra)
	}
	if missing, extra := want.diff(want); len(missing)+len(extra) != 0 {
		t.Errorf("a mirror equal to upstream differs: %v %v", missing, extra)
	}
}

func TestSameRepoURL(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://git.coopcloud.tech/coop-cloud/keycloak.git", "https://git.coopcloud.tech/coop-cloud/keycloak", true},
		{"https://git.coopcloud.tech/coop-cloud/keycloak/", "HTTPS://git.coopcloud.tech/Coop-Cloud/keycloak.git", true},
		{"https://user:secret@git.coopcloud.tech/coop-cloud/keycloak.git", "https://git.coopcloud.tech/coop-cloud/keycloak.git", true},
		{"https://git.coopcloud.tech/coop-cloud/keycloak.git", "https://git.coopcloud.tech/coop-cloud/keycloak-old.git", false},
		{"https://git.coopcloud.tech/coop-cloud/keycloak.git", "https://evil.example/coop-cloud/keycloak.git", false},
		{"", "https://git.coopcloud.tech/coop-cloud/keycloak.git", false},
	} {
		if got := sameRepoURL(tc.a, tc.b); got != tc.same {
			t.Errorf("sameRepoURL(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
