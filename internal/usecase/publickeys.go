package usecase

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Public key limits.
const (
	MaxPublicKeyNameLen        = 64
	MaxPublicKeyDescriptionLen = 256
)

// publicKeySortColumns are the sortBy values of GET /api/v1/publickeys.
var publicKeySortColumns = []string{"createTime", "updateTime", "name"}

func publicKeyNotFound(id string) *Error { return notFound("Public key %s not found.", id) }

// CreatePublicKey answers POST /api/v1/publickeys: a new, enabled SSH key of the
// caller's.
func (s *Service) CreatePublicKey(ctx context.Context, caller *auth.User, req *apiv1.CreatePublicKeyRequest) (*apiv1.PublicKey, error) {
	var fe workload.FieldErrors
	name := strings.TrimSpace(req.Name)
	if len(name) > MaxPublicKeyNameLen {
		fe = append(fe, workload.FieldError{Field: "name", Rule: "must be at most 64 bytes"})
	}
	if len(req.Description) > MaxPublicKeyDescriptionLen {
		fe = append(fe, workload.FieldError{Field: "description", Rule: "must be at most 256 bytes"})
	}
	fingerprint, key, err := auth.ParsePublicKey(req.PublicKey)
	if err != nil {
		fe = append(fe, workload.FieldError{Field: "publicKey", Rule: "must be " + err.Error()})
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	now := s.now()
	k := &auth.PublicKey{
		ID: uuid.NewString(), UserID: caller.ID, Name: name, Description: req.Description,
		Key: key, Fingerprint: fingerprint, Enabled: true, CreationTime: now, UpdateTime: now,
	}
	if err := s.Store.PublicKeyInsert(ctx, k); err != nil {
		return nil, err
	}
	v := publicKeyView(k)
	return &v, nil
}

// ListPublicKeys answers GET /api/v1/publickeys: the caller's keys, everyone's for
// an administrator; offset, limit, sortBy (createTime, updateTime, name) and order.
func (s *Service) ListPublicKeys(ctx context.Context, caller *auth.User, q url.Values) (*apiv1.PublicKeyList, error) {
	var fe workload.FieldErrors
	offset := intParam(q, "offset", 0, 0, -1, &fe)
	limit := intParam(q, "limit", DefaultListLimit, 1, MaxListLimit, &fe)
	sortBy := oneOfParam(q, "sortBy", publicKeySortColumns, &fe)
	asc := oneOfParam(q, "order", []string{"desc", "asc"}, &fe) == "asc"
	if len(fe) > 0 {
		return nil, badRequest("invalid query: %s", fe.Error())
	}
	owner := caller.ID
	if auth.IsAdmin(caller) {
		owner = ""
	}
	keys, err := s.Store.PublicKeyList(ctx, owner)
	if err != nil {
		return nil, err
	}
	sortPublicKeys(keys, sortBy, asc)
	out := &apiv1.PublicKeyList{TotalCount: len(keys), Items: []apiv1.PublicKey{}}
	for _, k := range keys[min(offset, len(keys)):min(offset+limit, len(keys))] {
		out.Items = append(out.Items, publicKeyView(k))
	}
	return out, nil
}

// sortPublicKeys orders keys by the column ("" creation time), ties by id.
func sortPublicKeys(keys []*auth.PublicKey, sortBy string, asc bool) {
	slices.SortStableFunc(keys, func(a, b *auth.PublicKey) int {
		c := 0
		switch sortBy {
		case "updateTime":
			c = a.UpdateTime.Compare(b.UpdateTime)
		case "name":
			c = cmp.Compare(a.Name, b.Name)
		default:
			c = a.CreationTime.Compare(b.CreationTime)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if !asc {
			c = -c
		}
		return c
	})
}

// DeletePublicKey answers DELETE /api/v1/publickeys/{id}: its owner or an administrator.
func (s *Service) DeletePublicKey(ctx context.Context, caller *auth.User, id string) error {
	if _, err := s.ownPublicKey(ctx, caller, id); err != nil {
		return err
	}
	err := s.Store.PublicKeyDelete(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return publicKeyNotFound(id)
	}
	return err
}

// SetPublicKeyStatus answers PUT /api/v1/publickeys/{id}/status: enables or disables
// the key; its owner or an administrator.
func (s *Service) SetPublicKeyStatus(ctx context.Context, caller *auth.User, id string, req *apiv1.PublicKeyStatusRequest) error {
	if req.Status == nil {
		return invalid(workload.FieldErrors{{Field: "status", Rule: "is required: true or false"}})
	}
	return store.RetryOnConflict(ctx, func() error {
		k, err := s.ownPublicKey(ctx, caller, id)
		if err != nil {
			return err
		}
		k.Enabled, k.UpdateTime = *req.Status, s.now()
		return s.Store.PublicKeyUpdate(ctx, k)
	})
}

// ownPublicKey loads a key the caller may change: their own, or any for an admin.
// Another user's key is not found, as it is not listed to them.
func (s *Service) ownPublicKey(ctx context.Context, caller *auth.User, id string) (*auth.PublicKey, error) {
	k, err := s.Store.PublicKeyGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.UserID != caller.ID && !auth.IsAdmin(caller)) {
		return nil, publicKeyNotFound(id)
	}
	return k, err
}

func publicKeyView(k *auth.PublicKey) apiv1.PublicKey {
	return apiv1.PublicKey{
		ID: k.ID, UserID: k.UserID, Name: k.Name, Description: k.Description, PublicKey: k.Key,
		Status: k.Enabled, CreateTime: workload.FormatTime(k.CreationTime), UpdateTime: workload.FormatTime(k.UpdateTime),
	}
}
