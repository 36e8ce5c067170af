package controller

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/workload"
)

// TestDrainedNodeIsLeft: a node an ops job drains is treated as a node that is not
// Ready, with the drain's reason: a job with retries left fails over to the other
// node, one without fails; nothing new is placed on the drained node.
func TestDrainedNodeIsLeft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	whole := func(s *apiv1.WorkloadSpec) { s.Resource.GPU, s.MaxRetry = "8", 1 } // a node each
	moves := e.submit("moves", "exec sleep 60", whole)
	fails := e.submit("fails", "exec sleep 60", func(s *apiv1.WorkloadSpec) { whole(s); s.MaxRetry = 0 })
	running := func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Pods) == 1 && w.Status.Pods[0].Phase == workload.PodRunning
	}
	drained := e.waitFor(moves, "Running", running).Status.Pods[0].Node
	other := e.waitFor(fails, "Running", running).Status.Pods[0].Node
	e.setDrain(drained, "the node "+drained+" is rebooting")
	e.waitFor(moves, "failing over", func(w *workload.Workload) bool { return w.Status.HasCondition(workload.CondFailover, 1) })
	e.setDrain(other, "the node "+other+" is rebooting")
	w := e.waitFor(fails, "Failed", phaseIs(apiv1.PhaseFailed))
	if want := "the node " + other + " is rebooting"; w.Status.Message != want || w.Status.DispatchCount != 1 {
		t.Errorf("%s: message %q (dispatch %d), want %q (1)", fails, w.Status.Message, w.Status.DispatchCount, want)
	}
	e.setDrain(other, "") // back in service; the first stays drained
	w = e.waitFor(moves, "Running again", func(w *workload.Workload) bool { return w.Status.DispatchCount == 2 && running(w) })
	if w.Status.Pods[0].Node != other {
		t.Errorf("%s runs again on %s, want %s (%s is drained)", moves, w.Status.Pods[0].Node, other, drained)
	}
	if !hasFailover(w, "the node "+drained+" is rebooting, "+workload.MsgFailover) {
		t.Errorf("no failover condition with the drain's reason: %+v", w.Status.Conditions)
	}
}

func hasFailover(w *workload.Workload, msg string) bool {
	for _, c := range w.Status.Conditions {
		if c.Type == workload.CondFailover && c.Message == msg {
			return true
		}
	}
	return false
}

// setDrain records (or, with "", clears) an ops job's intent to drain the node, as
// the ops-job runner does, and wakes the controller.
func (e *env) setDrain(node, why string) {
	e.changeNode(node, func(n *inventory.Node) { n.Drain = why })
}
