package usecase

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
	cred, err := s.credential(ctx, token)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserGet(ctx, cred.userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, newError(apiv1.CodeUserNotRegistered, "the user(%s) is not registered or invalid userId", cred.userID)
	}
	if err != nil {
		return nil, err
	}
	if cred.login && cred.generation != u.TokenGeneration {
		return nil, errBadToken // issued before a password change or restriction
	}
	if u.RestrictedType >= 1 {
		return nil, forbidden("The user is restricted. type: %d", u.RestrictedType)
	}
	return u, nil
}

var errBadToken = newError(apiv1.CodeUnauthorized, "The user's token is invalid, please login first")

// credential is what a valid token says: whose it is, and for a login token the
// generation of the user's tokens it belongs to.
type credential struct {
	userID     string
	login      bool
	generation string
}

func (s *Service) credential(ctx context.Context, token string) (credential, error) {
	if !auth.IsAPIKey(token) {
		return s.loginCredential(ctx, token)
	}
	k, err := s.Store.APIKeyGetByHash(ctx, s.Keys.HashAPIKey(token))
	if errors.Is(err, store.ErrNotFound) {
		return credential{}, errBadToken
	}
	if err != nil {
		return credential{}, err
	}
	if !k.ExpirationTime.IsZero() && !s.now().Before(k.ExpirationTime) {
		return credential{}, newError(apiv1.CodeUnauthorized, "the API key %s has expired", k.Name)
	}
	return credential{userID: k.UserID}, nil
}

// loginCredential checks a login token: signed by this server's keys, not expired,
// not revoked by a logout. A token that never expires, issued by a Berth from before
// login tokens had a lifetime, is refused too.
func (s *Service) loginCredential(ctx context.Context, token string) (credential, error) {
	subject, expire, err := s.Keys.ParseToken(token, s.now())
	if err != nil || expire.IsZero() {
		return credential{}, errBadToken
	}
	revoked, err := s.Store.TokenRevoked(ctx, auth.TokenID(token))
	if err != nil {
		return credential{}, err
	}
	if revoked {
		return credential{}, errBadToken
	}
	id, generation := auth.SplitTokenSubject(subject)
	return credential{userID: id, login: true, generation: generation}, nil
}
