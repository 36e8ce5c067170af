package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	k := testKeys(t, 1)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		userID string
		expire time.Time
		at     time.Time
	}{
		{"never expires", "63a9f0ea7bb98050796b649e85481845", time.Time{}, now.AddDate(100, 0, 0)},
		{"before expiry", "u1", now.Add(time.Hour), now},
		{"just before expiry", "u1", now.Add(time.Second), now},
		{"id with colons", "a:b:c", now.Add(time.Hour), now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := k.IssueToken(tt.userID, tt.expire)
			if IsAPIKey(token) {
				t.Errorf("login token %q taken for an API key", token)
			}
			got, expire, err := k.ParseToken(token, tt.at)
			if err != nil || got != tt.userID || !expire.Equal(tt.expire.Truncate(time.Second)) {
				t.Errorf("ParseToken = %q, %v, %v; want %q, %v, nil", got, expire, err, tt.userID, tt.expire)
			}
		})
	}
}

func TestTokenRejected(t *testing.T) {
	t.Parallel()
	k := testKeys(t, 1)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	good := k.IssueToken("u1", now.Add(time.Hour))
	payload, sig, _ := strings.Cut(good, ".")
	tests := []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"expired", good, now.Add(2 * time.Hour), ErrTokenExpired},
		{"at expiry", good, now.Add(time.Hour), ErrTokenExpired},
		{"before 1970", k.IssueToken("u1", time.Unix(-5, 0)), now, ErrTokenExpired},
		{"wrong key", testKeys(t, 2).IssueToken("u1", time.Time{}), now, ErrTokenInvalid},
		{"other payload", k.IssueToken("u2", time.Time{})[:len(payload)] + "." + sig, now, ErrTokenInvalid},
		{"tampered signature", payload + "." + flip(sig), now, ErrTokenInvalid},
		{"tampered payload", flip(payload) + "." + sig, now, ErrTokenInvalid},
		{"no signature", payload, now, ErrTokenInvalid},
		{"empty signature", payload + ".", now, ErrTokenInvalid},
		{"two dots", good + ".x", now, ErrTokenInvalid},
		{"empty", "", now, ErrTokenInvalid},
		{"api key", NewAPIKeySecret(), now, ErrTokenInvalid},
		{"empty user", k.IssueToken("", time.Time{}), now, ErrTokenInvalid},
		{"bad expiry", signed(k, "u1:soon:ab"), now, ErrTokenInvalid},
		{"expiry below -1", signed(k, "u1:-2:ab"), now, ErrTokenInvalid},
		{"no nonce", signed(k, "u1:-1"), now, ErrTokenInvalid},
		{"empty nonce", signed(k, "u1:-1:"), now, ErrTokenInvalid},
		{"no expiry", signed(k, "u1"), now, ErrTokenInvalid},
		{"bad base64 payload", signedEncoded(k, "u1:-1:ab!"), now, ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _, err := k.ParseToken(tt.token, tt.at)
			if !errors.Is(err, tt.want) || got != "" {
				t.Errorf("ParseToken(%q) = %q, %v; want %v", tt.token, got, err, tt.want)
			}
		})
	}
}

// signed returns a token over a raw payload, signed with k, to test parsing of
// payloads IssueToken never writes.
func signed(k *Keys, raw string) string {
	return signedEncoded(k, b64(raw))
}

// signedEncoded returns a token whose payload p is signed as is, not encoded.
func signedEncoded(k *Keys, p string) string {
	return p + "." + b64(string(k.tokenMAC(p)))
}

// flip changes the first character of s to another of the base64url alphabet.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestTokenSubject(t *testing.T) {
	t.Parallel()
	u := &User{ID: "63a9f0ea7bb98050796b649e85481845", TokenGeneration: NewTokenGeneration()}
	id, gen := SplitTokenSubject(TokenSubject(u))
	if id != u.ID || gen != u.TokenGeneration {
		t.Errorf("split = %q, %q; want %q, %q", id, gen, u.ID, u.TokenGeneration)
	}
	if a, b := NewTokenGeneration(), NewTokenGeneration(); a == b || len(a) != 16 {
		t.Errorf("generations %q and %q: want two different 16-hex-digit values", a, b)
	}
	if id, gen := SplitTokenSubject("plain"); id != "plain" || gen != "" {
		t.Errorf("subject without generation split into %q, %q", id, gen)
	}
}

func TestTokenID(t *testing.T) {
	t.Parallel()
	k := testKeys(t, 1)
	// Two logins in the same second get tokens of their own.
	a, b := k.IssueToken("u1", time.Unix(100, 0)), k.IssueToken("u1", time.Unix(100, 0))
	if TokenID(a) != TokenID(a) || TokenID(a) == TokenID(b) || len(TokenID(a)) != 64 || strings.Contains(TokenID(a), a) {
		t.Errorf("TokenID(%q) = %q, TokenID(%q) = %q: want a stable 64-hex-digit id per token, not the token", a, TokenID(a), b, TokenID(b))
	}
}
