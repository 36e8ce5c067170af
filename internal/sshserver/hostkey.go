package sshserver

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

// hostKeyID names the SSH server's host key in the store.
const hostKeyID = "ssh-host-ed25519"

// HostKey returns the SSH server's host key: the one in the store, else a new
// ed25519 key stored sealed under keys. Of servers racing to make it, the first to
// store its key wins and the others take that one.
func HostKey(ctx context.Context, st store.PublicKeyStore, keys *auth.Keys) (ssh.Signer, error) {
	stored, err := st.HostKeyGet(ctx, hostKeyID)
	if errors.Is(err, store.ErrNotFound) {
		stored, err = newHostKey(ctx, st, keys)
	}
	if err != nil {
		return nil, fmt.Errorf("ssh host key: %w", err)
	}
	plain, err := keys.Open(stored.Sealed)
	if err != nil {
		return nil, fmt.Errorf("ssh host key: sealed under another server secret: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(plain)
	if err != nil {
		return nil, fmt.Errorf("ssh host key: %w", err)
	}
	return signer, nil
}

// newHostKey makes and stores a host key, or reads the one another server stored first.
func newHostKey(ctx context.Context, st store.PublicKeyStore, keys *auth.Keys) (*auth.HostKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "berth ssh host key")
	if err != nil {
		return nil, err
	}
	sealed, err := keys.Seal(pem.EncodeToMemory(block))
	if err != nil {
		return nil, err
	}
	k := &auth.HostKey{ID: hostKeyID, Sealed: sealed, CreationTime: time.Now().UTC()}
	err = st.HostKeyInsert(ctx, k)
	if errors.Is(err, store.ErrConflict) {
		return st.HostKeyGet(ctx, hostKeyID)
	}
	return k, err
}
