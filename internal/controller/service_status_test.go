package controller

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// TestServiceCounts: a 2-replica Deployment on the process runtime (whose running
// pods are ready until it probes them) is stored Running with its replica counts and
// the conditions Available and Progressing; stopped, it has no replica left.
func TestServiceCounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("web", "exec sleep 60", func(s *apiv1.WorkloadSpec) {
		s.GroupVersionKind.Kind = apiv1.KindDeployment
		s.Resource.Replica = 2
	})
	w := e.waitFor(id, "Running with 2 ready replicas", func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhaseRunning && w.Status.Replicas != nil && w.Status.Replicas.Ready == 2
	})
	if got := *w.Status.Replicas; got != (workload.ReplicaCounts{Replicas: 2, Ready: 2, Available: 2, Updated: 2}) {
		t.Errorf("counts %+v, want 2 of each", got)
	}
	for typ, reason := range map[string]string{
		workload.CondAvailable: workload.ReasonMinimumAvailable, workload.CondProgressing: workload.ReasonRolloutComplete,
	} {
		if c, ok := w.Status.StatusCondition(typ); !ok || c.Status != workload.ConditionTrue || c.Reason != reason {
			t.Errorf("%s: %+v, want True %s", typ, c, reason)
		}
	}
	err := store.RetryOnConflict(t.Context(), func() error { // the controller writes it too
		cur, err := e.store.WorkloadGetAny(t.Context(), id)
		if err != nil {
			return err
		}
		workload.Stop(cur, "tester", false, cur.Status.StartTime)
		return e.store.WorkloadUpdate(t.Context(), cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.ctrl.Wake()
	w = e.waitFor(id, "ended with no replica", func(w *workload.Workload) bool {
		return w.Status.Stage == workload.StageEnded && w.Status.Replicas != nil && *w.Status.Replicas == workload.ReplicaCounts{}
	})
	if w.Status.Phase != apiv1.PhaseStopped {
		t.Errorf("phase %s, want Stopped", w.Status.Phase)
	}
}
