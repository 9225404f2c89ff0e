package ghost

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The token's shape is the one Ghost's Admin API documents: header
// {"alg":"HS256","kid":<id>,"typ":"JWT"}, payload {iat, exp = iat+5 min,
// aud "/admin/"}, signed with the hex-decoded secret (here the example key
// format of the documentation: a 24-hex id and a 64-hex secret).
func TestAdminToken(t *testing.T) {
	const id, secret = "6489b2b5a1f6a10001c2e4b7", "9ab2ca4a8f1e4b5d6c7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
	now := time.Unix(1_700_000_000, 0)
	s, err := AdminToken(id+":"+secret, now)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWS compact serialization", s)
	}
	var hdr map[string]string
	b, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(b, &hdr); err != nil || hdr["alg"] != "HS256" || hdr["kid"] != id || hdr["typ"] != "JWT" {
		t.Errorf("header %s (%v)", b, err)
	}
	var claims struct {
		IAT int64  `json:"iat"`
		EXP int64  `json:"exp"`
		AUD any    `json:"aud"`
		Sub string `json:"sub"`
	}
	b, _ = base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(b, &claims); err != nil || claims.IAT != now.Unix() || claims.EXP != now.Unix()+300 {
		t.Errorf("payload %s (%v)", b, err)
	}
	if aud, _ := json.Marshal(claims.AUD); string(aud) != `["/admin/"]` && string(aud) != `"/admin/"` {
		t.Errorf("aud %s, want /admin/", aud)
	}
	// It verifies with the secret's bytes, and not with its hex text.
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithAudience("/admin/"))
	key := func(raw []byte) jwt.Keyfunc { return func(*jwt.Token) (any, error) { return raw, nil } }
	raw, err := hex.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse(s, key(raw)); err != nil {
		t.Errorf("the token does not verify with the secret: %v", err)
	}
	if _, err := p.Parse(s, key([]byte(secret))); err == nil {
		t.Error("the token verifies with the secret's hex text: it was signed with the wrong key")
	}
}

func TestAdminTokenBadKey(t *testing.T) {
	for _, key := range []string{"", "nocolon", "id:", "id:not-hex"} {
		if _, err := AdminToken(key, time.Now()); err == nil {
			t.Errorf("AdminToken(%q) made a token", key)
		}
	}
}
