package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// APIKeyPrefix starts every API key, so that a bearer token tells what it is.
const APIKeyPrefix = "ak-"

// apiKeyBytes is the number of random bytes in an API key.
const apiKeyBytes = 32

// NewAPIKeySecret returns a fresh API key: "ak-" followed by 43 url-safe base64
// characters (32 random bytes, no padding), the reference's format.
func NewAPIKeySecret() string {
	b := make([]byte, apiKeyBytes)
	rand.Read(b)
	return APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashAPIKey returns the hex HMAC-SHA256 of key under the server secret: what is
// stored in place of the key. The same key hashes alike under the same secret only.
func (k *Keys) HashAPIKey(key string) string {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

// IsAPIKey reports whether a bearer token is an API key rather than a login token:
// it starts with "ak-" and holds no '.', which every login token does.
func IsAPIKey(token string) bool {
	return strings.HasPrefix(token, APIKeyPrefix) && !strings.Contains(token, ".")
}
