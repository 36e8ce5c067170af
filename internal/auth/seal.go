package auth

import (
	"crypto/rand"
	"errors"
)

// ErrSealInvalid is returned by Open when the sealed value was altered, truncated
// or sealed under another server secret.
var ErrSealInvalid = errors.New("auth: sealed value is invalid")

// Seal encrypts plaintext with AES-256-GCM under a key derived from the server
// secret. The result is a random 12-byte nonce followed by the ciphertext and tag,
// so sealing the same plaintext twice gives different results.
func (k *Keys) Seal(plaintext []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	out := make([]byte, ns, ns+len(plaintext)+k.aead.Overhead())
	rand.Read(out)
	return k.aead.Seal(out, out, plaintext, nil), nil
}

// Open decrypts what Seal returned; it fails with ErrSealInvalid when the value
// does not authenticate.
func (k *Keys) Open(sealed []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(sealed) < ns+k.aead.Overhead() {
		return nil, ErrSealInvalid
	}
	plain, err := k.aead.Open(nil, sealed[:ns], sealed[ns:], nil)
	if err != nil {
		return nil, ErrSealInvalid
	}
	return plain, nil
}
