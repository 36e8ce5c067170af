package rowstore

import (
	"context"

	"github.com/berth-dev/berth/internal/auth"
)

var publicKeyVersion versionOf[auth.PublicKey] = func(k *auth.PublicKey) *int64 { return &k.Version }

// Host keys have no Version: they are only ever inserted.
var hostKeyVersion versionOf[auth.HostKey]

func publicKeyRow(op string, k *auth.PublicKey) Row {
	return Row{
		Op: op, Table: "public_keys", ID: k.ID, Version: &k.Version, Value: k,
		Cols: []string{"user_id"}, Vals: []any{k.UserID},
	}
}

// PublicKeyInsert stores a new public key with Version 1; a taken id is ErrConflict.
func (e Entities) PublicKeyInsert(ctx context.Context, k *auth.PublicKey) error {
	return insert(ctx, e.E, publicKeyRow("public key insert", k))
}

// PublicKeyGet returns a public key.
func (e Entities) PublicKeyGet(ctx context.Context, id string) (*auth.PublicKey, error) {
	return get(ctx, e.E, publicKeyVersion, "public key get", "public_keys", "id", id)
}

// PublicKeyList returns the user's public keys (everyone's for "") by id.
func (e Entities) PublicKeyList(ctx context.Context, userID string) ([]*auth.PublicKey, error) {
	if userID == "" {
		return list(ctx, e.E, publicKeyVersion, "public key list", "public_keys", "", nil, "id")
	}
	return list(ctx, e.E, publicKeyVersion, "public key list", "public_keys", "user_id", userID, "id")
}

// PublicKeyUpdate writes k if its Version is the stored one, then increments k.Version.
func (e Entities) PublicKeyUpdate(ctx context.Context, k *auth.PublicKey) error {
	return update(ctx, e.E, publicKeyRow("public key update", k))
}

// PublicKeyDelete deletes a public key.
func (e Entities) PublicKeyDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "public key delete", "public_keys", id)
}

// HostKeyInsert stores a host key; a taken id is ErrConflict.
func (e Entities) HostKeyInsert(ctx context.Context, k *auth.HostKey) error {
	return insert(ctx, e.E, Row{Op: "host key insert", Table: "host_keys", ID: k.ID, Value: k})
}

// HostKeyGet returns a host key.
func (e Entities) HostKeyGet(ctx context.Context, id string) (*auth.HostKey, error) {
	return get(ctx, e.E, hostKeyVersion, "host key get", "host_keys", "id", id)
}
