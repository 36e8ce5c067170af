package usecase

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// CreateWorkload validates, authorizes and stores a new workload, which then waits in
// its workspace's queue. It returns the generated id.
func (s *Service) CreateWorkload(ctx context.Context, caller *auth.User, req *apiv1.CreateWorkloadRequest) (string, error) {
	workload.ApplyCreateDefaults(req)
	if fe := workload.ValidateCreate(req, s.now()); len(fe) > 0 {
		return "", invalid(fe)
	}
	return s.submit(ctx, caller, req.DisplayName, req.Description, req.WorkloadSpec)
}

// submit checks a valid spec against the objects it names and queues it as a new
// workload owned by the caller.
func (s *Service) submit(ctx context.Context, caller *auth.User, displayName, description string, spec apiv1.WorkloadSpec) (string, error) {
	w := &workload.Workload{
		DisplayName: displayName,
		Description: description,
		UserID:      caller.ID,
		UserName:    caller.Name,
		Spec:        spec,
	}
	if err := s.admitSpec(ctx, caller, w); err != nil {
		return "", err
	}
	if err := s.insertWorkload(ctx, w); err != nil {
		return "", err
	}
	return w.ID, nil
}

// admitSpec runs every check of a new workload that needs other objects, and fills
// what those objects decide (cluster, secret types, workspace image secrets).
func (s *Service) admitSpec(ctx context.Context, caller *auth.User, w *workload.Workload) error {
	kind := w.Kind()
	ws, err := s.workspace(ctx, w.Spec.Workspace)
	if err != nil {
		return err
	}
	if kind == apiv1.KindAutoscalingRunnerSet {
		if err := s.checkRunnerSetCluster(ctx, ws); err != nil {
			return err
		}
	}
	scope, _ := workload.Scope(kind)
	if !ws.HasScope(scope) {
		return forbidden("The workspace only supports %v and does not support %s", ws.Scopes, scope)
	}
	if !auth.CanCreateWorkload(caller, ws) {
		return forbidden("The user is not allowed to create workload")
	}
	if !auth.CanUsePriority(caller, ws, w.Spec.Priority, caller.ID) {
		return forbidden("The user is not allowed to create workload/%s", priorityName(w.Spec.Priority))
	}
	if err := s.resolveSecrets(ctx, caller, ws, &w.Spec); err != nil {
		return err
	}
	if err := s.resolveSecretEnv(ctx, caller, ws, &w.Spec); err != nil {
		return err
	}
	if kind != apiv1.KindModelInfer { // a ModelInfer's groups are fitted by the planner, one by one
		if err := s.checkAgainstWorld(ctx, ws, &w.Spec, nil); err != nil {
			return err
		}
	}
	w.Cluster = ws.Cluster
	return nil
}

func priorityName(p int) string {
	switch p {
	case 2:
		return "high-priority"
	case 1:
		return "med-priority"
	}
	return "low-priority"
}

// resolveSecrets checks that every secret exists and may be used here, takes each
// secret's type from the secret itself, and appends the workspace's image secrets.
func (s *Service) resolveSecrets(ctx context.Context, caller *auth.User, ws *inventory.Workspace, spec *apiv1.WorkloadSpec) error {
	seen := map[string]bool{}
	var refs []apiv1.SecretRef
	for _, ref := range spec.Secrets {
		sec, err := s.Store.SecretGet(ctx, ref.ID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("secret %s not found", ref.ID)
		}
		if err != nil {
			return err
		}
		if !auth.CanUseSecret(caller, sec, ws.ID) {
			return forbidden("The user is not allowed to get secret %s", ref.ID)
		}
		seen[sec.ID] = true
		refs = append(refs, apiv1.SecretRef{ID: sec.ID, Type: sec.Type})
	}
	for _, id := range ws.ImageSecretIDs {
		if !seen[id] {
			seen[id] = true
			refs = append(refs, apiv1.SecretRef{ID: id, Type: apiv1.SecretTypeImage})
		}
	}
	spec.Secrets = refs
	return nil
}

// insertWorkload gives w its identity and stores it as Pending (a runner set with its
// token secret), drawing a new id in the unlikely case that the random one is taken.
func (s *Service) insertWorkload(ctx context.Context, w *workload.Workload) error {
	now := s.now()
	w.UID = uuid.NewString()
	w.CreationTime = now
	w.Status = workload.Status{Phase: apiv1.PhasePending}
	insert := s.Store.WorkloadInsert
	if w.Kind() == apiv1.KindAutoscalingRunnerSet {
		insert = s.insertRunnerSet
	}
	err := store.RetryOnConflict(ctx, func() error {
		w.ID = workload.NewID(w.DisplayName)
		return insert(ctx, w)
	})
	if err != nil {
		return fmt.Errorf("insert workload: %w", err)
	}
	s.wake()
	return nil
}
