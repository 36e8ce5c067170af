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

// UpdateModelInferObject makes the named ModelInfer m, with managed fields, as a PUT
// of Berth's API would, once it is still at version (else store.ErrConflict: read it
// again, and make the change again). A write that changes nothing is not made.
func (s *Service) UpdateModelInferObject(ctx context.Context, caller *auth.User, workspaceID, name string, version int64,
	m *apiv1.ModelInfer, managed json.RawMessage) error {
	w, err := s.changeableModelInfer(ctx, caller, workspaceID, name)
	if err != nil {
		return err
	}
	if w.Version != version {
		return fmt.Errorf("modelinfer %s is at version %d, not %d: %w", name, w.Version, version, store.ErrConflict)
	}
	before, err := json.Marshal(w.Infer)
	if err != nil {
		return err
	}
	if err := applyModelInfer(w, m); err != nil {
		return err
	}
	w.Infer.ManagedFields = managed
	if after, err := json.Marshal(w.Infer); err == nil && string(before) == string(after) {
		return nil
	}
	if err := s.Store.WorkloadUpdate(ctx, w); err != nil {
		return err
	}
	s.wake()
	return nil
}
