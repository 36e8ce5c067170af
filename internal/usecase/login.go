package usecase

import (
	"context"
	"errors"
	"sync"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

// DefaultTokenTTL is how long a login token lasts when Service.TokenTTL is zero.
const DefaultTokenTTL = 7 * 24 * time.Hour

var errLogin = newError(apiv1.CodeUnauthorized, "the user name or password is incorrect")

// dummyHash is checked against when the user does not exist, so that a wrong name
// takes as long as a wrong password and does not tell which users exist.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("berth-no-such-user")
	return h
})

// Login answers POST /api/v1/login: the user with their token. A wrong name and a
// wrong password fail alike.
func (s *Service) Login(ctx context.Context, req *apiv1.LoginRequest) (*apiv1.LoginResponse, error) {
	if req.Type != "" && req.Type != UserTypeDefault {
		return nil, badRequest("type: must be default (single sign-on is not enabled)")
	}
	u, err := s.Store.UserGetByName(ctx, req.Name)
	if errors.Is(err, store.ErrNotFound) || req.Name == "" {
		auth.CheckPassword(dummyHash(), req.Password)
		return nil, errLogin
	}
	if err != nil {
		return nil, err
	}
	if !auth.CheckPassword(u.PasswordHash, req.Password) {
		return nil, errLogin
	}
	if u.RestrictedType >= 1 {
		return nil, forbidden("The user is restricted. type: %d", u.RestrictedType)
	}
	wss, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return nil, err
	}
	expire := s.now().Add(s.tokenTTL()).Truncate(time.Second)
	return &apiv1.LoginResponse{
		User:   userView(u, wss),
		Token:  s.Keys.IssueToken(auth.TokenSubject(u), expire),
		Expire: expire.Unix(),
	}, nil
}

func (s *Service) tokenTTL() time.Duration {
	if s.TokenTTL > 0 {
		return s.TokenTTL
	}
	return DefaultTokenTTL
}

// Logout answers POST /api/v1/logout: the login token it was called with is refused
// from now on, by every server sharing the store. Without a token, or with one that
// is no longer valid, there is nothing to end; an API key is refused, since logging
// out does not delete it.
func (s *Service) Logout(ctx context.Context, token string) error {
	if auth.IsAPIKey(token) {
		return badRequest("logout ends login tokens: an API key is deleted with DELETE /api/v1/apikeys/{id}")
	}
	if token == "" {
		return nil
	}
	_, expire, err := s.Keys.ParseToken(token, s.now())
	if err != nil {
		return nil // refused already
	}
	if expire.IsZero() {
		return nil // refused already: see credential
	}
	return s.Store.TokenRevoke(ctx, store.TokenRevokeParams{ID: auth.TokenID(token), Expire: expire, Now: s.now()})
}
