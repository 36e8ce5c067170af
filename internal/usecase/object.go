package usecase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// ObjectRef names a Kubernetes-style object (workload.Object) of a workspace:
// Name may be empty where a list is meant, and Workspace where a list or watch
// is of every workspace the caller may list.
type ObjectRef struct {
	Workspace string
	Kind      string
	Name      string
}

// ObjectChangeFunc makes the wanted object and spec of a workload from the stored
// one and the change number of its newest write (its resourceVersion).
type ObjectChangeFunc func(w *workload.Workload, seq int64) (*workload.Object, apiv1.WorkloadSpec, error)

// ListObjects returns the objects of ref's kind in its workspace, once the caller
// may list the workspace's workloads (in every workspace the caller may list when
// ref names none), with the change number the list was read at.
func (s *Service) ListObjects(ctx context.Context, caller *auth.User, ref ObjectRef) ([]store.WorkloadObject, int64, error) {
	listable, err := s.listableWorkspaces(ctx, caller, ref.Workspace)
	if err != nil {
		return nil, 0, err
	}
	all, at, err := s.Store.WorkloadObjectList(ctx, store.WorkloadObjectListParams{Workspace: ref.Workspace, Kind: ref.Kind, Name: ref.Name})
	if err != nil {
		return nil, 0, err
	}
	out := all[:0]
	for _, o := range all {
		if listable(o.Workload.Workspace()) {
			out = append(out, o)
		}
	}
	return out, at, nil
}

// listableWorkspaces is the caller's authorization to list workspace's workloads,
// or, for "", which workspaces' it may list.
func (s *Service) listableWorkspaces(ctx context.Context, caller *auth.User, workspace string) (func(string) bool, error) {
	if workspace != "" {
		return func(id string) bool { return id == workspace }, s.canListWorkspace(ctx, caller, workspace)
	}
	all, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return nil, fmt.Errorf("workspaces: %w", err)
	}
	ok := map[string]bool{}
	for _, ws := range all {
		ok[ws.ID] = auth.CanListWorkloads(caller, ws)
	}
	return func(id string) bool { return ok[id] }, nil
}

// WorkspaceNamespaces maps each workspace's id to the Kubernetes namespace it
// answers to (inventory.Workspace.KubeNamespace).
func (s *Service) WorkspaceNamespaces(ctx context.Context) (map[string]string, error) {
	all, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return nil, fmt.Errorf("workspaces: %w", err)
	}
	out := make(map[string]string, len(all))
	for _, ws := range all {
		out[ws.ID] = ws.KubeNamespace()
	}
	return out, nil
}

// GetObject returns the named object, once the caller may read its workspace and it.
func (s *Service) GetObject(ctx context.Context, caller *auth.User, ref ObjectRef) (store.WorkloadObject, error) {
	if err := s.canListWorkspace(ctx, caller, ref.Workspace); err != nil {
		return store.WorkloadObject{}, err
	}
	return s.findObject(ctx, ref)
}

// CreateObject validates the spec derived from a new object, authorizes it as a
// create of a workload and stores it, served as the object; the workload then waits
// in its workspace's queue. A name taken in the workspace is CodeAlreadyExist.
func (s *Service) CreateObject(ctx context.Context, caller *auth.User, ref ObjectRef, o *workload.Object, spec apiv1.WorkloadSpec) (store.WorkloadObject, error) {
	if err := s.canListWorkspace(ctx, caller, ref.Workspace); err != nil {
		return store.WorkloadObject{}, err
	}
	spec.Workspace = ref.Workspace
	workload.ApplyDefaults(&spec)
	if fe := workload.ValidateSpec(&spec); len(fe) > 0 {
		return store.WorkloadObject{}, invalid(fe)
	}
	if _, err := s.findObject(ctx, ref); err == nil {
		return store.WorkloadObject{}, alreadyExists(ref)
	}
	o.Kind, o.Name, o.Generation = ref.Kind, ref.Name, 1
	w := &workload.Workload{DisplayName: ref.Name, UserID: caller.ID, UserName: caller.Name, Spec: spec, Object: o}
	if err := s.admitSpec(ctx, caller, w); err != nil {
		return store.WorkloadObject{}, err
	}
	err := s.insertWorkload(ctx, w)
	if errors.Is(err, store.ErrConflict) { // another create of the name won the race
		return store.WorkloadObject{}, alreadyExists(ref)
	}
	if err != nil {
		return store.WorkloadObject{}, err
	}
	return s.findObject(ctx, ref)
}

// UpdateObject changes the named object and the workload's spec as change says,
// as a PATCH of the workload would: a running service rolls its pods to a new
// template and scales to new replicas. A write that raced another (the controller
// writes status often) is made again on the fresh workload, as etcd's guaranteed
// updates are: change refuses it there if the client named the version it read.
func (s *Service) UpdateObject(ctx context.Context, caller *auth.User, ref ObjectRef, change ObjectChangeFunc) (store.WorkloadObject, error) {
	var out store.WorkloadObject
	err := store.RetryOnConflict(ctx, func() error {
		var err error
		out, err = s.updateObject(ctx, caller, ref, change)
		return err
	})
	return out, err
}

func (s *Service) updateObject(ctx context.Context, caller *auth.User, ref ObjectRef, change ObjectChangeFunc) (store.WorkloadObject, error) {
	cur, err := s.GetObject(ctx, caller, ref)
	if err != nil {
		return cur, err
	}
	w := cur.Workload
	if err := s.changeableObject(ctx, caller, w); err != nil {
		return cur, err
	}
	o, spec, err := change(w, cur.Seq)
	if err != nil {
		return cur, err
	}
	before, err := json.Marshal(w)
	if err != nil {
		return cur, fmt.Errorf("encode workload %s: %w", w.ID, err)
	}
	if err := s.applyObject(ctx, w, o, spec); err != nil {
		return cur, err
	}
	if after, err := json.Marshal(w); err == nil && bytes.Equal(before, after) {
		return cur, nil // nothing changed: no write, the resourceVersion stays
	}
	if err := s.Store.WorkloadUpdate(ctx, w); err != nil {
		return cur, err
	}
	s.wake()
	return s.findObject(ctx, ref)
}

// DeleteObject deletes the named object's workload, as DELETE /api/v1/workloads/{id}
// does, and returns it as it was.
func (s *Service) DeleteObject(ctx context.Context, caller *auth.User, ref ObjectRef) (store.WorkloadObject, error) {
	cur, err := s.GetObject(ctx, caller, ref)
	if err != nil {
		return cur, err
	}
	return cur, s.DeleteWorkload(ctx, caller, cur.Workload.ID)
}

// WatchObjects follows the objects of ref's kind (only the named one when ref has
// a Name) in its workspace (in every one the caller may list at the start, for
// none) from change number after, or from a list of them when
// resume is false. Its events carry the *workload.Workload written.
func (s *Service) WatchObjects(ctx context.Context, caller *auth.User, ref ObjectRef, after int64, resume bool) (*WorkloadWatch, error) {
	listable, err := s.listableWorkspaces(ctx, caller, ref.Workspace)
	if err != nil {
		return nil, err
	}
	match := func(w *workload.Workload) bool {
		return !w.IsDeleted && listable(w.Workspace()) && w.ObjectKind() == ref.Kind &&
			(ref.Name == "" || w.ObjectName() == ref.Name)
	}
	ww := &WorkloadWatch{now: s.now, match: match, render: func(w *workload.Workload, _ time.Time) any { return w }, changes: true}
	start := watchStart{after: after, resume: resume, timeout: WatchTimeoutMax}
	return s.startWatch(ctx, ww, start, store.WorkloadListParams{Workspace: ref.Workspace, Kinds: []string{apiv1.KindDeployment}})
}

// canListWorkspace is the authorization of every object request: the caller may
// read the workspace's workloads (Forbidden, not NotFound, where it may not).
func (s *Service) canListWorkspace(ctx context.Context, caller *auth.User, workspace string) error {
	if workspace == "" {
		return forbidden("The user is not allowed to list workload: the namespace names no workspace")
	}
	return s.canList(ctx, caller, workspace)
}

// changeableObject refuses a caller who may not change w, and a w whose live state
// is gone.
func (s *Service) changeableObject(ctx context.Context, caller *auth.User, w *workload.Workload) error {
	ws, err := s.Store.WorkspaceGet(ctx, w.Workspace())
	if err != nil {
		return fmt.Errorf("workspace of workload %s: %w", w.ID, err)
	}
	if !auth.CanChangeWorkload(caller, ws, w.UserID) {
		return forbidden("The user is not allowed to update workload")
	}
	if w.Released() || w.Ended() {
		return newError(apiv1.CodeResourceProcessing, "The workload has ended (%s); it can no longer be changed.", w.Status.Phase)
	}
	return nil
}

// applyObject makes w's object o and its spec spec, once spec is valid and fits.
func (s *Service) applyObject(ctx context.Context, w *workload.Workload, o *workload.Object, spec apiv1.WorkloadSpec) error {
	spec.Workspace = w.Workspace()
	spec.Secrets = w.Spec.Secrets
	workload.ApplyDefaults(&spec)
	if fe := workload.ValidateSpec(&spec); len(fe) > 0 {
		return invalid(fe)
	}
	ws, err := s.workspace(ctx, w.Workspace())
	if err != nil {
		return err
	}
	old := w.Spec
	if err := s.checkAgainstWorld(ctx, ws, &spec, &old); err != nil {
		return err
	}
	o.Kind, o.Name, o.Generation = w.Object.Kind, w.Object.Name, w.Object.Generation
	if string(o.Spec) != string(w.Object.Spec) {
		o.Generation++
	}
	w.Object, w.Spec = o, spec
	return nil
}

func alreadyExists(ref ObjectRef) *Error {
	return newError(apiv1.CodeAlreadyExist, "%s %s already exists in workspace %s", ref.Kind, ref.Name, ref.Workspace)
}

// findObject reads the named object of a workspace.
func (s *Service) findObject(ctx context.Context, ref ObjectRef) (store.WorkloadObject, error) {
	os, _, err := s.Store.WorkloadObjectList(ctx, store.WorkloadObjectListParams{Workspace: ref.Workspace, Kind: ref.Kind, Name: ref.Name})
	if err != nil {
		return store.WorkloadObject{}, err
	}
	if len(os) == 0 {
		return store.WorkloadObject{}, notFound("%s %s not found in workspace %s", ref.Kind, ref.Name, ref.Workspace)
	}
	return os[0], nil
}

// WorkspaceOfNamespace is the id of the workspace that answers to the Kubernetes
// namespace ns (inventory.Workspace.KubeNamespace).
func (s *Service) WorkspaceOfNamespace(ctx context.Context, ns string) (string, error) {
	all, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return "", fmt.Errorf("workspaces: %w", err)
	}
	for _, ws := range all {
		if ws.KubeNamespace() == ns {
			return ws.ID, nil
		}
	}
	return "", newError(apiv1.CodeWorkspaceNotFound, "no workspace answers to namespace %s", ns)
}
