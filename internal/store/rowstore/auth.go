package rowstore

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

var userVersion versionOf[auth.User] = func(u *auth.User) *int64 { return &u.Version }

// API keys have no Version: they are only ever inserted and deleted.
var apiKeyVersion versionOf[auth.APIKey]

func userRow(op string, u *auth.User) Row {
	return Row{
		Op: op, Table: "users", ID: u.ID, Version: &u.Version, Value: u,
		Cols: []string{"name"}, Vals: []any{u.Name},
	}
}

// UserInsert stores a new user with Version 1; a taken id or name is ErrConflict.
func (e Entities) UserInsert(ctx context.Context, u *auth.User) error {
	return insert(ctx, e.E, userRow("user insert", u))
}

// UserGet returns a user.
func (e Entities) UserGet(ctx context.Context, id string) (*auth.User, error) {
	return get(ctx, e.E, userVersion, "user get", "users", "id", id)
}

// UserGetByName returns the user with the name.
func (e Entities) UserGetByName(ctx context.Context, name string) (*auth.User, error) {
	return get(ctx, e.E, userVersion, "user get by name", "users", "name", name)
}

// UserList returns every user by name.
func (e Entities) UserList(ctx context.Context) ([]*auth.User, error) {
	return list(ctx, e.E, userVersion, "user list", "users", "", nil, "name")
}

// UserUpdate writes u if its Version is the stored one, then increments u.Version;
// renaming to a taken name is ErrConflict.
func (e Entities) UserUpdate(ctx context.Context, u *auth.User) error {
	return update(ctx, e.E, userRow("user update", u))
}

// UserDelete deletes a user. Their API keys stay; the caller deletes them.
func (e Entities) UserDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "user delete", "users", id)
}

// APIKeyInsert stores a new key; a taken id or hash is ErrConflict.
func (e Entities) APIKeyInsert(ctx context.Context, k *auth.APIKey) error {
	return insert(ctx, e.E, Row{
		Op: "api key insert", Table: "api_keys", ID: k.ID, Value: k,
		Cols: []string{"user_id", "hash"}, Vals: []any{k.UserID, k.Hash},
	})
}

// APIKeyGetByHash returns the key with the hash.
func (e Entities) APIKeyGetByHash(ctx context.Context, hash string) (*auth.APIKey, error) {
	// Not get: the error must not carry the hash.
	return getAs(ctx, e.E, apiKeyVersion, "api key get by hash", "api_keys", "hash", hash)
}

// APIKeyListByUser returns the user's keys by id.
func (e Entities) APIKeyListByUser(ctx context.Context, userID string) ([]*auth.APIKey, error) {
	return list(ctx, e.E, apiKeyVersion, "api key list", "api_keys", "user_id", userID, "id")
}

// APIKeyDelete deletes a key.
func (e Entities) APIKeyDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "api key delete", "api_keys", id)
}

// TokenRevoke records a revoked login token and drops those that have expired.
func (e Entities) TokenRevoke(ctx context.Context, p store.TokenRevokeParams) error {
	return e.E.Tx(ctx, false, func(q Querier) error {
		if _, err := q.Exec(ctx, "DELETE FROM revoked_tokens WHERE expire_unix <= $1", p.Now.Unix()); err != nil {
			return fmt.Errorf("revoked tokens prune: %w", err)
		}
		_, err := q.Exec(ctx, "INSERT INTO revoked_tokens (id, expire_unix) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
			p.ID, p.Expire.Unix())
		if err != nil {
			return fmt.Errorf("token revoke: %w", err)
		}
		return nil
	})
}

// TokenRevoked reports whether the login token with the id was revoked.
func (e Entities) TokenRevoked(ctx context.Context, id string) (bool, error) {
	found := false
	err := e.E.Writer().Query(ctx, "SELECT 1 FROM revoked_tokens WHERE id = $1", []any{id},
		func(func(...any) error) error { found = true; return nil })
	if err != nil {
		return false, fmt.Errorf("token revoked: %w", err)
	}
	return found, nil
}
