package usecase

import (
	"context"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

// WorkloadScheduling answers GET /api/v1/workloads/{id}/scheduling.
func (s *Service) WorkloadScheduling(ctx context.Context, caller *auth.User, id string) (*apiv1.WorkloadScheduling, error) {
	w, _, err := s.readableWorkload(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	out := &apiv1.WorkloadScheduling{
		WorkloadID: w.ID, Phase: w.Status.Phase, Admitted: w.WasAdmitted(),
		QueuePosition: w.Status.QueuePosition, Message: w.Status.Message,
		Reasons: []string{}, Blockers: []string{},
	}
	if w.Ended() || s.Explain == nil {
		return out, nil
	}
	if e, ok := s.Explain(w.ID); ok {
		out.Admitted, out.QueuePosition, out.Message = e.Admitted, e.Position, e.Message
		out.Reasons = append(out.Reasons, e.Reasons...)
		out.Blockers = append(out.Blockers, e.Blockers...)
	}
	if w.Infer != nil && w.Status.Message != "" {
		out.Message = w.Status.Message // how many of its groups wait, and why
	}
	return out, nil
}
