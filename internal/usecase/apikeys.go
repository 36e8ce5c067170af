package usecase

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// API key limits: ttlDays 0 means the key never expires.
const (
	MaxAPIKeyTTLDays = 366
	MaxAPIKeyNameLen = 64
	apiKeyHintLen    = 4
)

func apiKeyNotFound(id string) *Error { return notFound("API key %s not found.", id) }

// CreateAPIKey answers POST /api/v1/apikeys: a new key for the caller. The key is
// in the answer and nowhere else; the store keeps only its keyed hash.
func (s *Service) CreateAPIKey(ctx context.Context, caller *auth.User, req *apiv1.CreateAPIKeyRequest) (*apiv1.APIKey, error) {
	var fe workload.FieldErrors
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > MaxAPIKeyNameLen {
		fe = append(fe, workload.FieldError{Field: "name", Rule: "must not be blank and at most 64 bytes"})
	}
	if req.TTLDays < 0 || req.TTLDays > MaxAPIKeyTTLDays {
		fe = append(fe, workload.FieldError{Field: "ttlDays", Rule: "must be 0 (never expires) or 1 to 366"})
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	secret := auth.NewAPIKeySecret()
	now := s.now()
	k := &auth.APIKey{
		ID: uuid.NewString(), Name: name, UserID: caller.ID, Hash: s.Keys.HashAPIKey(secret),
		Hint: secret[len(secret)-apiKeyHintLen:], CreationTime: now,
	}
	if req.TTLDays > 0 {
		k.ExpirationTime = now.AddDate(0, 0, req.TTLDays)
	}
	if err := s.Store.APIKeyInsert(ctx, k); err != nil {
		return nil, err
	}
	v := apiKeyView(k)
	v.Key = secret
	return &v, nil
}

// ListAPIKeys answers GET /api/v1/apikeys: the caller's keys, without the keys.
func (s *Service) ListAPIKeys(ctx context.Context, caller *auth.User) (*apiv1.APIKeyList, error) {
	keys, err := s.Store.APIKeyListByUser(ctx, caller.ID)
	if err != nil {
		return nil, err
	}
	out := &apiv1.APIKeyList{TotalCount: len(keys), Items: make([]apiv1.APIKey, 0, len(keys))}
	for _, k := range keys {
		out.Items = append(out.Items, apiKeyView(k))
	}
	return out, nil
}

// CurrentAPIKey answers GET /api/v1/apikeys/current: the key the request was made
// with, given its bearer token; 404 when it was made with a login token.
func (s *Service) CurrentAPIKey(ctx context.Context, caller *auth.User, token string) (*apiv1.APIKey, error) {
	if !auth.IsAPIKey(token) {
		return nil, notFound("the request was not made with an API key")
	}
	k, err := s.Store.APIKeyGetByHash(ctx, s.Keys.HashAPIKey(token))
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.UserID != caller.ID) {
		return nil, notFound("the request was not made with an API key")
	}
	if err != nil {
		return nil, err
	}
	v := apiKeyView(k)
	return &v, nil
}

// DeleteAPIKey answers DELETE /api/v1/apikeys/{id}: its owner or an administrator.
func (s *Service) DeleteAPIKey(ctx context.Context, caller *auth.User, id string) error {
	k, err := s.findAPIKey(ctx, caller, id)
	if err != nil {
		return err
	}
	if k.UserID != caller.ID && !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to delete apikey")
	}
	err = s.Store.APIKeyDelete(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return apiKeyNotFound(id)
	}
	return err
}

// findAPIKey looks for the key among the caller's, then among everyone's: the
// store finds keys by user or by hash only.
func (s *Service) findAPIKey(ctx context.Context, caller *auth.User, id string) (*auth.APIKey, error) {
	users, err := s.Store.UserList(ctx)
	if err != nil {
		return nil, err
	}
	owners := []string{caller.ID}
	for _, u := range users {
		if u.ID != caller.ID {
			owners = append(owners, u.ID)
		}
	}
	for _, owner := range owners {
		keys, err := s.Store.APIKeyListByUser(ctx, owner)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if k.ID == id {
				return k, nil
			}
		}
	}
	return nil, apiKeyNotFound(id)
}

func apiKeyView(k *auth.APIKey) apiv1.APIKey {
	return apiv1.APIKey{
		ID: k.ID, Name: k.Name, UserID: k.UserID, KeyHint: k.Hint,
		CreationTime:   workload.FormatTime(k.CreationTime),
		ExpirationTime: workload.FormatTime(k.ExpirationTime),
	}
}
