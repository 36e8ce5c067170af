package postgres

import (
	"context"

	"github.com/berth-dev/berth/internal/auth"
)

var userVersion versionOf[auth.User] = func(u *auth.User) *int64 { return &u.Version }

// API keys have no version: they are only ever inserted and deleted.
var apiKeyVersion versionOf[auth.APIKey]

func userRow(op string, u *auth.User) row {
	return row{
		op: op, table: "users", id: u.ID, version: &u.Version, value: u,
		cols: []string{"name"}, vals: []any{u.Name},
	}
}

// UserInsert stores a new user with Version 1; a taken id or name is ErrConflict.
func (s *Store) UserInsert(ctx context.Context, u *auth.User) error {
	return s.insert(ctx, userRow("user insert", u))
}

// UserGet returns a user.
func (s *Store) UserGet(ctx context.Context, id string) (*auth.User, error) {
	return get(ctx, s, userVersion, "user get", "users", "id", id)
}

// UserGetByName returns the user with the name.
func (s *Store) UserGetByName(ctx context.Context, name string) (*auth.User, error) {
	return get(ctx, s, userVersion, "user get by name", "users", "name", name)
}

// UserList returns every user by name.
func (s *Store) UserList(ctx context.Context) ([]*auth.User, error) {
	return list(ctx, s, userVersion, "user list", "users", "", "name")
}

// UserUpdate writes u if its Version is the stored one, then increments u.Version;
// renaming to a taken name is ErrConflict.
func (s *Store) UserUpdate(ctx context.Context, u *auth.User) error {
	return s.update(ctx, userRow("user update", u))
}

// UserDelete deletes a user. Their API keys stay; the caller deletes them.
func (s *Store) UserDelete(ctx context.Context, id string) error {
	return s.remove(ctx, "user delete", "users", id)
}

// APIKeyInsert stores a new key; a taken id or hash is ErrConflict.
func (s *Store) APIKeyInsert(ctx context.Context, k *auth.APIKey) error {
	return s.insert(ctx, row{
		op: "api key insert", table: "api_keys", id: k.ID, value: k,
		cols: []string{"user_id", "hash"}, vals: []any{k.UserID, k.Hash},
	})
}

// APIKeyGetByHash returns the key with the hash.
func (s *Store) APIKeyGetByHash(ctx context.Context, hash string) (*auth.APIKey, error) {
	// Not get: the error must not carry the hash.
	row := s.pool.QueryRow(ctx, "SELECT data FROM api_keys WHERE hash = $1", hash)
	k, err := apiKeyVersion.scan(row)
	return k, interpretError("api key get by hash", err)
}

// APIKeyListByUser returns the user's keys by id.
func (s *Store) APIKeyListByUser(ctx context.Context, userID string) ([]*auth.APIKey, error) {
	return list(ctx, s, apiKeyVersion, "api key list", "api_keys", "user_id = $1", "id", userID)
}

// APIKeyDelete deletes a key.
func (s *Store) APIKeyDelete(ctx context.Context, id string) error {
	return s.remove(ctx, "api key delete", "api_keys", id)
}
