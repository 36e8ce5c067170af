package usecase

import (
	"context"
	"encoding/json"
	"fmt"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// The Kubernetes API reads ModelInfers as objects (ListObjects, GetObject and
// WatchObjects of kind workload.InferObjectKind) and writes them with the use
// cases below, which are those of /api/v1/modelinfers with the object's managed
// fields (server-side apply's) kept beside it.

// ModelInferOf is the ModelInfer a workload of kind ModelInfer is, as
// GET /api/v1/modelinfers/{name} shows it.
func ModelInferOf(w *workload.Workload) *apiv1.ModelInfer { return modelInferView(w) }

// CreateModelInferObject is CreateModelInfer, with the object's managed fields.
func (s *Service) CreateModelInferObject(ctx context.Context, caller *auth.User, workspaceID string, m *apiv1.ModelInfer,
	managed json.RawMessage) error {
	_, err := s.createModelInfer(ctx, caller, workspaceID, m, managed)
	return err
}

// ModelInferChangeFunc makes the wanted ModelInfer, and its managed fields, of the
// stored workload and the change number of its newest write (its resourceVersion).
type ModelInferChangeFunc func(w *workload.Workload, seq int64) (*apiv1.ModelInfer, json.RawMessage, error)

// UpdateModelInferObject changes the named ModelInfer as change says, as a PUT of
// Berth's API would, and returns it as stored. A write that raced another (the
// controller writes status often) is made again on the fresh ModelInfer, as etcd's
// guaranteed updates are: change refuses it there if the client named the version
// it read. A write that changes nothing is not made.
func (s *Service) UpdateModelInferObject(ctx context.Context, caller *auth.User, ref ObjectRef, change ModelInferChangeFunc) (store.WorkloadObject, error) {
	var (
		out   store.WorkloadObject
		wrote bool
	)
	err := store.RetryOnConflict(ctx, func() error {
		var err error
		out, wrote, err = s.updateModelInferObject(ctx, caller, ref, change)
		return err
	})
	if wrote {
		s.wake()
	}
	return out, err
}

func (s *Service) updateModelInferObject(ctx context.Context, caller *auth.User, ref ObjectRef, change ModelInferChangeFunc) (store.WorkloadObject, bool, error) {
	cur, err := s.GetObject(ctx, caller, ref)
	if err != nil {
		return cur, false, err
	}
	w := cur.Workload
	if err := s.changeableObject(ctx, caller, w); err != nil {
		return cur, false, err
	}
	m, managed, err := change(w, cur.Seq)
	if err != nil {
		return cur, false, err
	}
	before, err := json.Marshal(w.Infer)
	if err != nil {
		return cur, false, fmt.Errorf("encode modelinfer %s: %w", ref.Name, err)
	}
	if err := applyModelInfer(w, m); err != nil {
		return cur, false, err
	}
	w.Infer.ManagedFields = managed
	if after, err := json.Marshal(w.Infer); err == nil && string(before) == string(after) {
		return cur, false, nil // nothing changed: no write, the resourceVersion stays
	}
	if err := s.Store.WorkloadUpdate(ctx, w); err != nil {
		return cur, false, err
	}
	out, err := s.findObject(ctx, ref)
	return out, true, err
}
