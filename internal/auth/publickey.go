package auth

import (
	"errors"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// PublicKey is an SSH public key a user registered to reach their dev machines
// through Berth's SSH server. Only an enabled key lets them in.
type PublicKey struct {
	ID          string `json:"ID"`
	UserID      string `json:"UserID"`
	Name        string `json:"Name"`
	Description string `json:"Description"`
	// Key is the key in the authorized_keys format, as registered (comment included).
	Key string `json:"Key"`
	// Fingerprint is the key's SHA256 fingerprint, by which the SSH server finds it.
	Fingerprint  string    `json:"Fingerprint"`
	Enabled      bool      `json:"Enabled"`
	CreationTime time.Time `json:"CreationTime"`
	UpdateTime   time.Time `json:"UpdateTime"`
	Version      int64     `json:"Version"`
}

// ErrPublicKeyInvalid is a key that does not parse as one line of authorized_keys.
var ErrPublicKeyInvalid = errors.New("not an SSH public key in the authorized_keys format (e.g. ssh-ed25519 AAAA... comment)")

// ParsePublicKey reads one authorized_keys line and returns its fingerprint and the
// line, trimmed. Options before the key type are refused: a key here grants exactly
// what the server decides.
func ParsePublicKey(line string) (fingerprint, key string, err error) {
	key = strings.TrimSpace(line)
	if key == "" || strings.ContainsAny(key, "\r\n") {
		return "", "", ErrPublicKeyInvalid
	}
	pk, _, options, rest, err := ssh.ParseAuthorizedKey([]byte(key))
	if err != nil || len(options) > 0 || len(rest) > 0 {
		return "", "", ErrPublicKeyInvalid
	}
	return ssh.FingerprintSHA256(pk), key, nil
}

// HostKey is the SSH server's private host key, sealed under the server secret, so
// that every server of one store presents the same key.
type HostKey struct {
	ID           string    `json:"ID"`
	Sealed       []byte    `json:"Sealed"`
	CreationTime time.Time `json:"CreationTime"`
}
