package auth

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	k := testKeys(t, 1)
	for _, plain := range [][]byte{{}, []byte("x"), []byte(`{"token":"ghp_secret"}`), bytes.Repeat([]byte{7}, 1<<16)} {
		sealed, err := k.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) >= 8 && bytes.Contains(sealed, plain) {
			t.Error("sealed value holds the plaintext")
		}
		got, err := k.Open(sealed)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(plain, got, cmp.Comparer(bytes.Equal)); diff != "" {
			t.Errorf("Open(Seal(p)) (-want +got):\n%s", diff)
		}
	}
}

func TestSealNonceDiffers(t *testing.T) {
	t.Parallel()
	k := testKeys(t, 1)
	a, _ := k.Seal([]byte("same"))
	b, _ := k.Seal([]byte("same"))
	if bytes.Equal(a, b) {
		t.Error("sealing twice gave the same bytes")
	}
	if bytes.Equal(a[:12], b[:12]) {
		t.Error("sealing twice used the same nonce")
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	k := testKeys(t, 1)
	sealed, err := k.Seal([]byte("secret value"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"nil":       nil,
		"too short": sealed[:27],
		"truncated": sealed[:len(sealed)-1],
		"appended":  append(bytes.Clone(sealed), 0),
	}
	for i := range sealed { // every byte: nonce, ciphertext and tag
		b := bytes.Clone(sealed)
		b[i] ^= 0x80
		tests[fmt.Sprintf("byte %d flipped", i)] = b
	}
	if other, err := testKeys(t, 2).Seal([]byte("secret value")); err == nil {
		tests["other secret"] = other
	}
	for name, b := range tests {
		if got, err := k.Open(b); !errors.Is(err, ErrSealInvalid) || got != nil {
			t.Errorf("%s: Open = %q, %v; want ErrSealInvalid", name, got, err)
		}
	}
}

// The token key is derived, not the raw secret that keys API-key hashes.
func TestTokenKeyDerived(t *testing.T) {
	t.Parallel()
	k := testKeys(t, 1)
	if bytes.Equal(k.tokenKey, k.secret) {
		t.Error("token key is the raw secret")
	}
	if k.HashAPIKey("p") == fmt.Sprintf("%x", k.tokenMAC("p")) {
		t.Error("token MAC and API-key hash share a key")
	}
}
