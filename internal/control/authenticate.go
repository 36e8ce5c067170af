package control

import (
	"context"
	"errors"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

// Authenticate resolves a bearer token (a login token or an API key) to its user.
func (s *Service) Authenticate(ctx context.Context, token string) (*auth.User, error) {
	if token == "" {
		return nil, newError(apiv1.CodeUnauthorized, "token not present")
	}
	userID, err := s.tokenUser(ctx, token)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserGet(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, newError(apiv1.CodeUserNotRegistered, "the user(%s) is not registered or invalid userId", userID)
	}
	if err != nil {
		return nil, err
	}
	if u.RestrictedType >= 1 {
		return nil, forbidden("The user is restricted. type: %d", u.RestrictedType)
	}
	return u, nil
}

var errBadToken = newError(apiv1.CodeUnauthorized, "The user's token is invalid, please login first")

func (s *Service) tokenUser(ctx context.Context, token string) (string, error) {
	if !auth.IsAPIKey(token) {
		id, err := s.Keys.ParseToken(token, s.now())
		if err != nil {
			return "", errBadToken
		}
		return id, nil
	}
	k, err := s.Store.APIKeyGetByHash(ctx, s.Keys.HashAPIKey(token))
	if errors.Is(err, store.ErrNotFound) {
		return "", errBadToken
	}
	if err != nil {
		return "", err
	}
	if !k.ExpirationTime.IsZero() && !s.now().Before(k.ExpirationTime) {
		return "", newError(apiv1.CodeUnauthorized, "the API key %s has expired", k.Name)
	}
	return k.UserID, nil
}
