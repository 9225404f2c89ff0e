package sso

import (
	"testing"
)

func TestSupportsGrant(t *testing.T) {
	none := Metadata{}
	listed := Metadata{GrantTypesSupported: []string{"authorization_code", "client_credentials"}}
	for _, c := range []struct {
		m     Metadata
		grant string
		want  bool
	}{
		{none, "authorization_code", true}, // Discovery's default
		{none, "implicit", true},
		{none, "client_credentials", false},
		{none, "password", false},
		{listed, "client_credentials", true},
		{listed, "implicit", false},
		{listed, "password", false},
	} {
		if got := c.m.SupportsGrant(c.grant); got != c.want {
			t.Errorf("%v.SupportsGrant(%q) = %t, want %t", c.m.GrantTypesSupported, c.grant, got, c.want)
		}
	}
}
