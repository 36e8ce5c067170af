package observed

// The methods below are the store.Store methods of their interfaces, timed.

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

func (s *Store) UserInsert(ctx context.Context, u *auth.User) (err error) {
	defer s.observe("UserInsert", time.Now(), &err)
	return s.inner.UserInsert(ctx, u)
}

func (s *Store) UserGet(ctx context.Context, id string) (_ *auth.User, err error) {
	defer s.observe("UserGet", time.Now(), &err)
	return s.inner.UserGet(ctx, id)
}

func (s *Store) UserGetByName(ctx context.Context, name string) (_ *auth.User, err error) {
	defer s.observe("UserGetByName", time.Now(), &err)
	return s.inner.UserGetByName(ctx, name)
}

func (s *Store) UserList(ctx context.Context) (_ []*auth.User, err error) {
	defer s.observe("UserList", time.Now(), &err)
	return s.inner.UserList(ctx)
}

func (s *Store) UserUpdate(ctx context.Context, u *auth.User) (err error) {
	defer s.observe("UserUpdate", time.Now(), &err)
	return s.inner.UserUpdate(ctx, u)
}

func (s *Store) UserDelete(ctx context.Context, id string) (err error) {
	defer s.observe("UserDelete", time.Now(), &err)
	return s.inner.UserDelete(ctx, id)
}

func (s *Store) APIKeyInsert(ctx context.Context, k *auth.APIKey) (err error) {
	defer s.observe("APIKeyInsert", time.Now(), &err)
	return s.inner.APIKeyInsert(ctx, k)
}

func (s *Store) APIKeyGetByHash(ctx context.Context, hash string) (_ *auth.APIKey, err error) {
	defer s.observe("APIKeyGetByHash", time.Now(), &err)
	return s.inner.APIKeyGetByHash(ctx, hash)
}

func (s *Store) APIKeyListByUser(ctx context.Context, userID string) (_ []*auth.APIKey, err error) {
	defer s.observe("APIKeyListByUser", time.Now(), &err)
	return s.inner.APIKeyListByUser(ctx, userID)
}

func (s *Store) APIKeyDelete(ctx context.Context, id string) (err error) {
	defer s.observe("APIKeyDelete", time.Now(), &err)
	return s.inner.APIKeyDelete(ctx, id)
}

func (s *Store) TokenRevoke(ctx context.Context, p store.TokenRevokeParams) (err error) {
	defer s.observe("TokenRevoke", time.Now(), &err)
	return s.inner.TokenRevoke(ctx, p)
}

func (s *Store) TokenRevoked(ctx context.Context, id string) (_ bool, err error) {
	defer s.observe("TokenRevoked", time.Now(), &err)
	return s.inner.TokenRevoked(ctx, id)
}
