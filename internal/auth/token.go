package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of ParseToken.
var (
	ErrTokenInvalid = errors.New("auth: token is invalid")
	ErrTokenExpired = errors.New("auth: token has expired")
)

// neverExpires is the expiry written into tokens that do not expire, as the
// reference writes -1.
const neverExpires = -1

// NewTokenGeneration returns a fresh User.TokenGeneration.
func NewTokenGeneration() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TokenSubject is what a login token of the user names: the user and the
// generation of their tokens.
func TokenSubject(u *User) string { return u.ID + "/" + u.TokenGeneration }

// SplitTokenSubject undoes TokenSubject.
func SplitTokenSubject(subject string) (userID, generation string) {
	i := strings.LastIndexByte(subject, '/')
	if i < 0 {
		return subject, ""
	}
	return subject[:i], subject[i+1:]
}

// IssueToken returns a login token for the user that expires at expire; a zero
// expire means never.
//
// The token is base64url("<userID>:<expireUnix>:<nonce>") + "." +
// base64url(HMAC-SHA256), the MAC taken over the first part. The random nonce makes
// every login's token its own, so that revoking one (TokenID) leaves the others. It
// always holds a '.', which API keys never do.
func (k *Keys) IssueToken(userID string, expire time.Time) string {
	exp := int64(neverExpires)
	if !expire.IsZero() {
		exp = max(expire.Unix(), 0) // times before 1970 are simply expired
	}
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	payload := base64.RawURLEncoding.EncodeToString(
		[]byte(userID + ":" + strconv.FormatInt(exp, 10) + ":" + hex.EncodeToString(nonce)))
	return payload + "." + base64.RawURLEncoding.EncodeToString(k.tokenMAC(payload))
}

// ParseToken checks the token's signature and expiry at now and returns the user
// id it was issued for and when it expires (zero: never). It fails with
// ErrTokenInvalid or ErrTokenExpired.
func (k *Keys) ParseToken(token string, now time.Time) (userID string, expire time.Time, err error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", time.Time{}, ErrTokenInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, k.tokenMAC(payload)) {
		return "", time.Time{}, ErrTokenInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", time.Time{}, ErrTokenInvalid
	}
	// The user id may hold ':'; the expiry and the nonce never do.
	rest, nonce := cutLast(string(raw))
	userID, expField := cutLast(rest)
	if userID == "" || nonce == "" {
		return "", time.Time{}, ErrTokenInvalid
	}
	exp, err := strconv.ParseInt(expField, 10, 64)
	if err != nil || exp < neverExpires {
		return "", time.Time{}, ErrTokenInvalid
	}
	if exp == neverExpires {
		return userID, time.Time{}, nil
	}
	if expire = time.Unix(exp, 0).UTC(); !now.Before(expire) {
		return "", time.Time{}, ErrTokenExpired
	}
	return userID, expire, nil
}

// cutLast splits s around its last ':'; without one, all of s is the tail.
func cutLast(s string) (head, tail string) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+1:]
}

// TokenID names a login token in the store without holding it: the hex SHA-256 of
// the token. A revoked token is recorded under it.
func TokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (k *Keys) tokenMAC(payload string) []byte {
	m := hmac.New(sha256.New, k.tokenKey)
	m.Write([]byte(payload))
	return m.Sum(nil)
}
