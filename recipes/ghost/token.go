// Package ghost holds the recipe tests of Co-op Cloud's ghost recipe and
// what they share: the Admin API token Ghost documents
// (https://ghost.org/docs/admin-api/#token-authentication).
package ghost

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AdminToken signs the short-lived JWT Ghost's Admin API takes in
// "Authorization: Ghost <token>": the admin API key is "<id>:<secret>",
// the token is HS256 with the key's id as kid, signed with the secret
// decoded from hex, its audience "/admin/", valid five minutes from now.
func AdminToken(key string, now time.Time) (string, error) {
	id, secret, ok := strings.Cut(key, ":")
	if !ok || id == "" || secret == "" {
		return "", fmt.Errorf("admin API key %q...: want <id>:<secret>", key[:min(len(key), 6)])
	}
	raw, err := hex.DecodeString(secret)
	if err != nil {
		return "", fmt.Errorf("admin API key %s: its secret is not hex: %w", id, err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
		Audience:  jwt.ClaimStrings{"/admin/"},
	})
	tok.Header["kid"] = id
	s, err := tok.SignedString(raw)
	if err != nil {
		return "", fmt.Errorf("signing an Admin API token with key %s: %w", id, err)
	}
	return s, nil
}
