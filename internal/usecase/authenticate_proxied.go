package usecase

import (
	"context"
	"errors"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

// UserOfKubernetes is the Berth user a Kubernetes user stands for when the
// cluster's API server proxies a request to Berth's aggregated API: the Berth user
// of the same name. ok is false when there is none; a restricted user is refused
// as Authenticate refuses its tokens.
func (s *Service) UserOfKubernetes(ctx context.Context, name string) (u *auth.User, ok bool, err error) {
	if name == "" {
		return nil, false, nil
	}
	u, err = s.Store.UserGetByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if u.RestrictedType >= 1 {
		return nil, false, forbidden("The user is restricted. type: %d", u.RestrictedType)
	}
	return u, true, nil
}
