package usecase

import (
	"context"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// PauseWorkload answers POST /api/v1/workloads/{id}/pause: a workload that runs
// until stopped (a dev machine, a service) stops its pods and frees what they held,
// keeping its record, its home and its place; a job answers 400. Pausing a paused
// workload does nothing.
func (s *Service) PauseWorkload(ctx context.Context, caller *auth.User, id string) error {
	return s.pauseOrResume(ctx, caller, id, "pause", func(w *workload.Workload) (bool, error) {
		if !workload.Pausable(w.Kind()) {
			return false, invalid(workload.FieldErrors{{Field: "kind", Rule: "a " + w.Kind() +
				" is a job: it runs to its end or is stopped, it cannot be paused"}})
		}
		if w.Paused() {
			return false, nil
		}
		if !workload.Pause(w, workload.MsgPausedBy+caller.Name, s.now()) {
			return false, notNow(w, "paused")
		}
		return true, nil
	})
}

// ResumeWorkload answers POST /api/v1/workloads/{id}/resume: a paused workload
// queues again and the planner places it when there is room, its pending message and
// queue position saying why it waits meanwhile. Resuming one that is not paused does
// nothing; one still pausing answers 409.
func (s *Service) ResumeWorkload(ctx context.Context, caller *auth.User, id string) error {
	return s.pauseOrResume(ctx, caller, id, "resume", func(w *workload.Workload) (bool, error) {
		switch {
		case w.Status.Stage == workload.StagePaused:
			return workload.Resume(w, caller.Name, s.now()), nil
		case w.Paused():
			return false, newError(apiv1.CodeResourceProcessing,
				"The workload is still pausing: resume it once its pods are gone.")
		case w.Ended() || w.Released():
			return false, notNow(w, "resumed")
		}
		return false, nil // queued or running already
	})
}

// pauseOrResume applies step to the workload once the caller may change it, and
// stores the result when step changed it.
func (s *Service) pauseOrResume(ctx context.Context, caller *auth.User, id, verb string,
	step func(*workload.Workload) (bool, error)) error {
	changed := false
	err := store.RetryOnConflict(ctx, func() error {
		w, ws, err := s.readableWorkload(ctx, caller, id)
		if err != nil {
			return err
		}
		if !auth.CanChangeWorkload(caller, ws, w.UserID) {
			return forbidden("The user is not allowed to %s workload", verb)
		}
		if changed, err = step(w); err != nil || !changed {
			return err
		}
		return s.Store.WorkloadUpdate(ctx, w)
	})
	if err == nil && changed {
		s.wake()
	}
	return err
}

// notNow refuses to pause or resume w in a state that does not allow it.
func notNow(w *workload.Workload, done string) error {
	if w.Ended() || w.Released() {
		return newError(apiv1.CodeResourceProcessing, "The workload has ended (%s): it cannot be %s.", w.Status.Phase, done)
	}
	return newError(apiv1.CodeResourceProcessing,
		"The workload is leaving its dispatch (%s): it can be %s once it is running or queued again.", w.State(), done)
}
