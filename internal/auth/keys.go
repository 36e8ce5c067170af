package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretSize is the length in bytes of the server secret.
const SecretSize = 32

// Labels of the keys derived from the server secret; changing one invalidates
// every token or sealed value made under it.
const (
	tokenKeyLabel = "berth login token v1"
	sealKeyLabel  = "berth seal v1"
	instanceLabel = "berth instance id v1"
)

// Keys holds the server secret and the keys derived from it. It is safe for
// concurrent use.
type Keys struct {
	secret   []byte      // keys API-key hashes
	tokenKey []byte      // signs login tokens
	aead     cipher.AEAD // seals secrets at rest
	instance string      // InstanceID
}

// NewKeys builds Keys from a SecretSize-byte server secret.
func NewKeys(secret []byte) (*Keys, error) {
	if len(secret) != SecretSize {
		return nil, fmt.Errorf("auth: server secret is %d bytes, want %d", len(secret), SecretSize)
	}
	tokenKey, err := hkdf.Key(sha256.New, secret, nil, tokenKeyLabel, sha256.Size)
	if err != nil {
		return nil, err
	}
	sealKey, err := hkdf.Key(sha256.New, secret, nil, sealKeyLabel, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	instance, err := hkdf.Key(sha256.New, secret, nil, instanceLabel, 6)
	if err != nil {
		return nil, err
	}
	return &Keys{secret: bytes.Clone(secret), tokenKey: tokenKey, aead: aead, instance: hex.EncodeToString(instance)}, nil
}

// LoadOrCreateKeys reads the server secret from path, a file holding it hex
// encoded. When the file does not exist it creates one with a fresh random secret,
// mode 0600, creating its directory (mode 0700) if needed. Two processes racing to
// create the file end up with the same secret: the file appears whole or not at all.
func LoadOrCreateKeys(path string) (*Keys, error) {
	secret, err := readSecret(path)
	if errors.Is(err, fs.ErrNotExist) {
		secret, err = createSecret(path)
	}
	if err != nil {
		return nil, err
	}
	return NewKeys(secret)
}

func readSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	secret, err := hex.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(secret) != SecretSize {
		return nil, fmt.Errorf("auth: %s does not hold a %d-byte hex secret", path, SecretSize)
	}
	return secret, nil
}

// createSecret writes a new secret to a temporary file and links it into place,
// so a reader never sees a partial file and an existing one is never replaced.
func createSecret(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".secret-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	secret := make([]byte, SecretSize)
	rand.Read(secret)
	_, err = tmp.WriteString(hex.EncodeToString(secret) + "\n")
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readSecret(path) // another process won the race
	} else if err != nil {
		return nil, err
	}
	return secret, nil
}
