package usecase

import (
	"context"
	"errors"
	"fmt"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// PatchWorkload answers PATCH /api/v1/workloads/{id}: it changes a workload whose
// live state still exists. A queued workload is re-evaluated by the scheduler; a
// running one keeps running with its pods as they are until its next dispatch.
func (s *Service) PatchWorkload(ctx context.Context, caller *auth.User, id string, p *apiv1.PatchWorkloadRequest) error {
	return s.patch(ctx, caller, id, p, nil)
}

// ScaleWorkload answers POST /api/v1/workloads/{id}/scale: a Deployment or
// StatefulSet gets the replicas asked for. A running one keeps the pods of the ranks
// it keeps; the controller adds the others once the planner finds them room, or
// stops the highest ranks.
func (s *Service) ScaleWorkload(ctx context.Context, caller *auth.User, id string, req *apiv1.ScaleRequest) error {
	if req.Replica == nil {
		return invalid(workload.FieldErrors{{Field: "replica", Rule: "is required: the number of replicas wanted"}})
	}
	return s.patch(ctx, caller, id, &apiv1.PatchWorkloadRequest{Replica: req.Replica}, scalable)
}

// scalable refuses to scale what is not a service of replicas.
func scalable(w *workload.Workload) error {
	if k := w.Kind(); k != apiv1.KindDeployment && k != apiv1.KindStatefulSet {
		return invalid(workload.FieldErrors{{Field: "replica", Rule: "only a Deployment or a StatefulSet scales; " +
			"a " + k + " changes its replicas with PATCH, for its next run"}})
	}
	return nil
}

// patch applies p to the workload once the caller may change it and check, if any,
// accepts it.
func (s *Service) patch(ctx context.Context, caller *auth.User, id string, p *apiv1.PatchWorkloadRequest,
	check func(*workload.Workload) error) error {
	if p.Priority != nil && (*p.Priority < 0 || *p.Priority > 2) {
		return invalid(workload.FieldErrors{{Field: "priority", Rule: "must be 0, 1 or 2"}})
	}
	return store.RetryOnConflict(ctx, func() error {
		w, ws, err := s.readableWorkload(ctx, caller, id)
		if err != nil {
			return err
		}
		if !auth.CanChangeWorkload(caller, ws, w.UserID) {
			return forbidden("The user is not allowed to update workload")
		}
		if p.Priority != nil && !auth.CanUsePriority(caller, ws, *p.Priority, w.UserID) {
			return forbidden("The user is not allowed to update workload/%s", priorityName(*p.Priority))
		}
		// As the reference: editable while its live state exists, which includes a
		// finished job until its TTL; a stopped or deleted one has none.
		if w.Released() || w.IsDeleted || w.Status.Phase == apiv1.PhaseStopped {
			return newError(apiv1.CodeResourceProcessing, "The workload can only be edited when it is running.")
		}
		if w.Kind() == apiv1.KindModelInfer {
			return invalid(workload.FieldErrors{{Field: "groupVersionKind.kind",
				Rule: "a ModelInfer is changed with PUT or PATCH /api/v1/modelinfers/" + w.DisplayName + "?workspaceId=" + w.Workspace()}})
		}
		if check != nil {
			if err := check(w); err != nil {
				return err
			}
		}
		old := w.Spec
		if fe := workload.ApplyPatch(&w.Spec, p, s.now()); len(fe) > 0 {
			return invalid(fe)
		}
		if p.SecretEnv != nil || p.Sidecars != nil {
			if err := s.resolveSecretEnv(ctx, caller, ws, &w.Spec); err != nil {
				return err
			}
		}
		if err := s.checkAgainstWorld(ctx, ws, &w.Spec, &old); err != nil {
			return err
		}
		if p.Description != nil {
			w.Description = *p.Description
		}
		if err := s.Store.WorkloadUpdate(ctx, w); err != nil {
			return err
		}
		s.wake()
		return nil
	})
}

// StopWorkload answers POST .../workloads/{id}/stop: the workload ends as Stopped and
// its pods are killed (SIGTERM, then SIGKILL after the grace period). Stopping an
// unknown or finished workload succeeds and does nothing.
func (s *Service) StopWorkload(ctx context.Context, caller *auth.User, id string) error {
	return s.end(ctx, caller, id, false)
}

// DeleteWorkload answers DELETE /api/v1/workloads/{id}: stop, then hide the workload
// from list and get. Deleting an unknown workload succeeds.
func (s *Service) DeleteWorkload(ctx context.Context, caller *auth.User, id string) error {
	return s.end(ctx, caller, id, true)
}

func (s *Service) end(ctx context.Context, caller *auth.User, id string, deleting bool) error {
	err := store.RetryOnConflict(ctx, func() error {
		w, ws, err := s.readableWorkload(ctx, caller, id)
		if err != nil {
			return err
		}
		if !deleting && w.Ended() {
			return nil // stopping a finished workload does nothing, whoever asks
		}
		if !auth.CanChangeWorkload(caller, ws, w.UserID) {
			verb := "stop"
			if deleting {
				verb = "delete"
			}
			return forbidden("The user is not allowed to %s workload", verb)
		}
		if deleting && w.Kind() == apiv1.KindAutoscalingRunnerSet {
			// First, so that a failure leaves the workload for the DELETE to be retried.
			if err := s.deleteRunnerSetToken(ctx, w); err != nil {
				return err
			}
		}
		if !workload.Stop(w, caller.Name, deleting, s.now()) {
			return nil
		}
		return s.Store.WorkloadUpdate(ctx, w)
	})
	if e, ok := AsError(err); ok && e.Code == apiv1.CodeWorkloadNotFound {
		return nil
	}
	if err == nil {
		s.wake()
	}
	return err
}

// CloneWorkload re-creates a workload from its stored spec under a new id owned by
// the caller, and returns the new id.
func (s *Service) CloneWorkload(ctx context.Context, caller *auth.User, id string) (string, error) {
	src, err := s.Store.WorkloadGetAny(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && src.IsDeleted) {
		return "", workloadNotFound(id)
	}
	if err != nil {
		return "", err
	}
	if !auth.CanCloneWorkload(caller, src.UserID) {
		return "", forbidden("The user is not allowed to get workload")
	}
	if k := src.Kind(); k == apiv1.KindAutoscalingRunnerSet || k == apiv1.KindModelInfer {
		return "", newError(apiv1.CodeNotImplemented, "cloning an %s workload is not supported", k)
	}
	spec := src.Spec
	spec.Hostpath = nil
	if fe := workload.ValidateCronJobs(spec.CronJobs, s.now(), "cronJobs"); len(fe) > 0 {
		return "", invalid(fe)
	}
	newID, err := s.submit(ctx, caller, src.DisplayName, src.Description, spec)
	if err != nil {
		return "", fmt.Errorf("clone %s: %w", id, err)
	}
	return newID, nil
}
