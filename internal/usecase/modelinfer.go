package usecase

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// ModelInferPatchFunc turns the current object, as JSON, into the one wanted (a merge
// patch applied and decoded by the caller).
type ModelInferPatchFunc func(current []byte) (*apiv1.ModelInfer, error)

// CreateModelInfer answers POST /api/v1/modelinfers: the object (its namespace the
// workspace, or workspaceID when it names none) is validated and stored as a Berth
// workload of kind ModelInfer, which then waits in its workspace's queue.
func (s *Service) CreateModelInfer(ctx context.Context, caller *auth.User, workspaceID string, m *apiv1.ModelInfer) (*apiv1.ModelInfer, error) {
	return s.createModelInfer(ctx, caller, workspaceID, m, nil)
}

// createModelInfer is CreateModelInfer, the object's managed fields kept with it.
func (s *Service) createModelInfer(ctx context.Context, caller *auth.User, workspaceID string, m *apiv1.ModelInfer, managed json.RawMessage) (*apiv1.ModelInfer, error) {
	if err := prepareModelInfer(m, workspaceID); err != nil {
		return nil, err
	}
	if _, err := s.findModelInfer(ctx, m.Metadata.Namespace, m.Metadata.Name); err == nil {
		return nil, newError(apiv1.CodeAlreadyExist, "ModelInfer %s already exists in workspace %s", m.Metadata.Name, m.Metadata.Namespace)
	} else if e, ok := AsError(err); !ok || e.Code != apiv1.CodeNotFound {
		return nil, err
	}
	w := &workload.Workload{
		DisplayName: m.Metadata.Name,
		UserID:      caller.ID,
		UserName:    caller.Name,
		Spec:        workload.ModelInferWorkloadSpec(m.Metadata.Namespace, &m.Spec),
		Infer: &workload.Infer{Labels: m.Metadata.Labels, Annotations: m.Metadata.Annotations, Generation: 1, Spec: m.Spec,
			ManagedFields: managed},
	}
	if err := s.admitSpec(ctx, caller, w); err != nil {
		return nil, err
	}
	if err := s.insertWorkload(ctx, w); err != nil {
		return nil, err
	}
	return modelInferView(w), nil
}

// prepareModelInfer fills the defaults of m and validates it.
func prepareModelInfer(m *apiv1.ModelInfer, workspaceID string) error {
	var fe workload.FieldErrors
	switch ns := m.Metadata.Namespace; {
	case ns == "":
		m.Metadata.Namespace = workspaceID
	case workspaceID != "" && ns != workspaceID:
		fe = append(fe, workload.FieldError{Field: "metadata.namespace",
			Rule: fmt.Sprintf("must be the workspace of the request, %q, not %q", workspaceID, ns)})
	}
	delete(m.Metadata.Annotations, WorkloadIDAnnotation)
	if m.APIVersion == "" {
		m.APIVersion = apiv1.ModelInferAPIVersion
	}
	if m.Kind == "" {
		m.Kind = apiv1.KindModelInfer
	}
	workload.ApplyModelInferDefaults(&m.Spec)
	fe = append(fe, workload.ValidateModelInfer(m)...)
	if len(fe) > 0 {
		return invalid(fe)
	}
	return nil
}

// ListModelInfers answers GET /api/v1/modelinfers: the ModelInfers of a workspace
// (of every workspace for an administrator who names none).
func (s *Service) ListModelInfers(ctx context.Context, caller *auth.User, workspaceID string) (*apiv1.ModelInferList, error) {
	if err := s.canList(ctx, caller, workspaceID); err != nil {
		return nil, err
	}
	ws, err := s.listModelInfers(ctx, workspaceID, "")
	if err != nil {
		return nil, err
	}
	out := &apiv1.ModelInferList{APIVersion: apiv1.ModelInferAPIVersion, Kind: apiv1.KindModelInferList, Items: []apiv1.ModelInfer{}}
	for _, w := range ws {
		out.Items = append(out.Items, *modelInferView(w))
	}
	return out, nil
}

// GetModelInfer answers GET /api/v1/modelinfers/{name}?workspaceId=.
func (s *Service) GetModelInfer(ctx context.Context, caller *auth.User, workspaceID, name string) (*apiv1.ModelInfer, error) {
	w, err := s.readableModelInfer(ctx, caller, workspaceID, name)
	if err != nil {
		return nil, err
	}
	return modelInferView(w), nil
}

// ReplaceModelInfer answers PUT /api/v1/modelinfers/{name}?workspaceId=: the spec,
// labels and annotations become m's. A resourceVersion in m must be the stored one.
func (s *Service) ReplaceModelInfer(ctx context.Context, caller *auth.User, workspaceID, name string, m *apiv1.ModelInfer) (*apiv1.ModelInfer, error) {
	return s.changeModelInfer(ctx, caller, workspaceID, name, func([]byte) (*apiv1.ModelInfer, error) { return m, nil })
}

// PatchModelInfer answers PATCH /api/v1/modelinfers/{name}?workspaceId=: patch makes
// the wanted object of the current one, which is then stored as a PUT would.
func (s *Service) PatchModelInfer(ctx context.Context, caller *auth.User, workspaceID, name string, patch ModelInferPatchFunc) (*apiv1.ModelInfer, error) {
	return s.changeModelInfer(ctx, caller, workspaceID, name, patch)
}

// DeleteModelInfer answers DELETE /api/v1/modelinfers/{name}?workspaceId=: its pods
// are stopped and the workload deleted, as DELETE /api/v1/workloads/{id} does.
func (s *Service) DeleteModelInfer(ctx context.Context, caller *auth.User, workspaceID, name string) error {
	w, err := s.readableModelInfer(ctx, caller, workspaceID, name)
	if err != nil {
		return err
	}
	return s.DeleteWorkload(ctx, caller, w.ID)
}

func (s *Service) changeModelInfer(ctx context.Context, caller *auth.User, workspaceID, name string, wanted ModelInferPatchFunc) (*apiv1.ModelInfer, error) {
	var out *apiv1.ModelInfer
	err := store.RetryOnConflict(ctx, func() error {
		w, err := s.changeableModelInfer(ctx, caller, workspaceID, name)
		if err != nil {
			return err
		}
		current, err := json.Marshal(modelInferView(w))
		if err != nil {
			return fmt.Errorf("encode modelinfer %s: %w", name, err)
		}
		m, err := wanted(current)
		if err != nil {
			return err
		}
		if err := applyModelInfer(w, m); err != nil {
			return err
		}
		if err := s.Store.WorkloadUpdate(ctx, w); err != nil {
			return err
		}
		out = modelInferView(w)
		return nil
	})
	if err == nil {
		s.wake()
	}
	return out, err
}

// applyModelInfer makes w's object m, once m is valid and names w.
func applyModelInfer(w *workload.Workload, m *apiv1.ModelInfer) error {
	if err := prepareModelInfer(m, w.Workspace()); err != nil {
		return err
	}
	var fe workload.FieldErrors
	if m.Metadata.Name != w.DisplayName {
		fe = append(fe, workload.FieldError{Field: "metadata.name", Rule: fmt.Sprintf("must be %q, the name in the path: a ModelInfer is not renamed", w.DisplayName)})
	}
	if rv := m.Metadata.ResourceVersion; rv != "" && rv != strconv.FormatInt(w.Version, 10) {
		return newError(apiv1.CodeResourceProcessing, "the ModelInfer was changed since resourceVersion %s (it is at %d): read it again", rv, w.Version)
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	in := w.Infer
	before, _ := json.Marshal(in.Spec)
	after, _ := json.Marshal(m.Spec)
	if string(before) != string(after) {
		in.Generation++
	}
	in.Labels, in.Annotations, in.Spec = m.Metadata.Labels, m.Metadata.Annotations, m.Spec
	w.Spec = workload.ModelInferWorkloadSpec(w.Workspace(), &in.Spec)
	return nil
}

// readableModelInfer finds the named ModelInfer of a workspace the caller may see.
func (s *Service) readableModelInfer(ctx context.Context, caller *auth.User, workspaceID, name string) (*workload.Workload, error) {
	if workspaceID == "" {
		return nil, invalid(workload.FieldErrors{{Field: "workspaceId", Rule: ruleWorkspaceQuery}})
	}
	w, err := s.findModelInfer(ctx, workspaceID, name)
	if err != nil {
		return nil, err
	}
	w, _, err = s.readableWorkload(ctx, caller, w.ID)
	return w, err
}

// changeableModelInfer is readableModelInfer for a caller who may also change it,
// while its live state exists.
func (s *Service) changeableModelInfer(ctx context.Context, caller *auth.User, workspaceID, name string) (*workload.Workload, error) {
	w, err := s.readableModelInfer(ctx, caller, workspaceID, name)
	if err != nil {
		return nil, err
	}
	ws, err := s.Store.WorkspaceGet(ctx, w.Workspace())
	if err != nil {
		return nil, fmt.Errorf("workspace of modelinfer %s: %w", name, err)
	}
	if !auth.CanChangeWorkload(caller, ws, w.UserID) {
		return nil, forbidden("The user is not allowed to update workload")
	}
	if w.Released() || w.Ended() {
		return nil, newError(apiv1.CodeResourceProcessing, "The ModelInfer has ended (%s); it can no longer be changed.", w.Status.Phase)
	}
	return w, nil
}

const ruleWorkspaceQuery = "is required: the workspace of the ModelInfer, as ?workspaceId="

// findModelInfer is the ModelInfer of the workspace with the name (not deleted).
func (s *Service) findModelInfer(ctx context.Context, workspaceID, name string) (*workload.Workload, error) {
	ws, err := s.listModelInfers(ctx, workspaceID, name)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, notFound("ModelInfer %s not found in workspace %s", name, workspaceID)
	}
	return ws[0], nil
}

// listModelInfers lists the ModelInfers of a workspace ("": every one), or the one
// with a name, newest first.
func (s *Service) listModelInfers(ctx context.Context, workspaceID, name string) ([]*workload.Workload, error) {
	p := store.WorkloadListParams{Workspace: workspaceID, Kinds: []string{apiv1.KindModelInfer}, Limit: MaxListLimit}
	if name != "" {
		p.WorkloadID = name + "-" // ids are the name, "-" and 5 characters
	}
	ws, _, err := s.Store.WorkloadList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list modelinfers: %w", err)
	}
	out := ws[:0]
	for _, w := range ws {
		if w.Infer != nil && (name == "" || w.DisplayName == name) {
			out = append(out, w)
		}
	}
	return out, nil
}
