package observed

import (
	"context"
	"time"

	"github.com/berth-dev/berth/internal/auth"
)

func (s *Store) PublicKeyInsert(ctx context.Context, k *auth.PublicKey) (err error) {
	defer s.observe("PublicKeyInsert", time.Now(), &err)
	return s.inner.PublicKeyInsert(ctx, k)
}

func (s *Store) PublicKeyGet(ctx context.Context, id string) (_ *auth.PublicKey, err error) {
	defer s.observe("PublicKeyGet", time.Now(), &err)
	return s.inner.PublicKeyGet(ctx, id)
}

func (s *Store) PublicKeyList(ctx context.Context, userID string) (_ []*auth.PublicKey, err error) {
	defer s.observe("PublicKeyList", time.Now(), &err)
	return s.inner.PublicKeyList(ctx, userID)
}

func (s *Store) PublicKeyUpdate(ctx context.Context, k *auth.PublicKey) (err error) {
	defer s.observe("PublicKeyUpdate", time.Now(), &err)
	return s.inner.PublicKeyUpdate(ctx, k)
}

func (s *Store) PublicKeyDelete(ctx context.Context, id string) (err error) {
	defer s.observe("PublicKeyDelete", time.Now(), &err)
	return s.inner.PublicKeyDelete(ctx, id)
}

func (s *Store) HostKeyInsert(ctx context.Context, k *auth.HostKey) (err error) {
	defer s.observe("HostKeyInsert", time.Now(), &err)
	return s.inner.HostKeyInsert(ctx, k)
}

func (s *Store) HostKeyGet(ctx context.Context, id string) (_ *auth.HostKey, err error) {
	defer s.observe("HostKeyGet", time.Now(), &err)
	return s.inner.HostKeyGet(ctx, id)
}
