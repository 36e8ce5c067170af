package controller

import (
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/workload"
)

func TestPreemptionEvictsLowerPriority(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, func(ws *inventory.Workspace) { ws.EnablePreempt = true })
	low := e.submit("low", "sleep 60", func(s *apiv1.WorkloadSpec) {
		s.Resource.Replica, s.Resource.GPU, s.MaxRetry = 2, "8", 0
	})
	e.waitFor(low, "Running", phaseIs(apiv1.PhaseRunning))
	high := e.submit("high", "true", func(s *apiv1.WorkloadSpec) { s.Priority, s.Resource.GPU = 2, "8" })
	e.waitFor(high, "Succeeded", phaseIs(apiv1.PhaseSucceeded))
	w := e.waitFor(low, "running again", func(w *workload.Workload) bool {
		return w.Status.DispatchCount == 2 && w.Status.Phase == apiv1.PhaseRunning
	})
	if w.Status.Preemptions != 1 || !w.Active() {
		t.Errorf("preemptions %d, state %v; want 1, Dispatched/Run", w.Status.Preemptions, w.State())
	}
	found := false
	for _, c := range w.Status.Conditions {
		if c.Type == workload.CondFailover && c.Reason == "run_1_times" && strings.HasPrefix(c.Message, workload.MsgPreempted+" by "+high) {
			found = true
		}
	}
	if !found {
		t.Errorf("no AdminFailover naming %s in %+v", high, w.Status.Conditions)
	}
	if w.Status.HasCondition(workload.CondFailed, 1) {
		t.Error("a preempted run is not a failure")
	}
}

func TestNoPreemptionWithoutEnablePreempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	low := e.submit("low", "sleep 60", func(s *apiv1.WorkloadSpec) { s.Resource.Replica, s.Resource.GPU = 2, "8" })
	e.waitFor(low, "Running", phaseIs(apiv1.PhaseRunning))
	high := e.submit("high", "true", func(s *apiv1.WorkloadSpec) { s.Priority, s.Resource.GPU = 2, "8" })
	w := e.waitFor(high, "queued with a reason", func(w *workload.Workload) bool { return w.Status.Message != "" })
	if w.Status.Phase != apiv1.PhasePending {
		t.Errorf("high = %s, want Pending", w.Status.Phase)
	}
	l, err := e.store.WorkloadGet(t.Context(), low)
	if err != nil || !l.Active() || l.Status.DispatchCount != 1 {
		t.Errorf("low = %+v, %v; want untouched", l.Status, err)
	}
}
