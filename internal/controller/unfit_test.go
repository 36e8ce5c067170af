package controller

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// TestQueuedWorkloadFailsWhenItCanNoLongerFit: a gang of two whole nodes waits in the
// fifo workspace behind a running job, holding back a small job; when the other node
// is taken away the gang can never run: it fails saying why, and the small job starts.
func TestQueuedWorkloadFailsWhenItCanNoLongerFit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	whole := func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "8" }
	running := e.submit("runs", "exec sleep 60", whole)
	r := e.waitFor(running, "Running", func(w *workload.Workload) bool { return len(w.Status.Placement) == 1 })
	gang := e.submit("gang", "true", func(s *apiv1.WorkloadSpec) { s.Resource.Replica, s.Resource.GPU = 2, "8" })
	e.waitFor(gang, "queued with a reason", func(w *workload.Workload) bool { return w.Status.Message != "" })
	small := e.submit("small", "true", nil)
	e.waitFor(small, "queued behind the gang", func(w *workload.Workload) bool { return w.Status.QueuePosition == 2 })

	busy := r.Status.Placement[0].Node
	nodes, err := e.store.NodeList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Name != busy {
			if err := e.store.NodeDelete(t.Context(), n.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.ctrl.Wake()
	w := e.waitFor(gang, "Failed", phaseIs(apiv1.PhaseFailed))
	if want := "The workload can never be scheduled: Insufficient resource: request.replica: 2, total.replica: 1"; !hasMessage(w, want) {
		t.Errorf("conditions = %+v, want a failure saying %q", w.Status.Conditions, want)
	}
	s := e.waitFor(small, "admitted", func(w *workload.Workload) bool { return w.WasAdmitted() })
	if len(s.Status.Placement) != 1 || s.Status.Placement[0].Node != busy {
		t.Errorf("small placed on %+v, want the remaining node %s", s.Status.Placement, busy)
	}
}

// TestPinnedWorkloadFailsWhenItsNodeGoes: a workload pinned to a node that leaves its
// workspace fails naming the node.
func TestPinnedWorkloadFailsWhenItsNodeGoes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nodes, err := e.store.NodeList(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	target := nodes[0]
	blocker := e.submit("blocker", "exec sleep 60", func(s *apiv1.WorkloadSpec) {
		s.Resource.GPU, s.CustomerLabels = "8", map[string]string{workload.HostnameLabel: target.Name}
	})
	e.waitFor(blocker, "placed", func(w *workload.Workload) bool { return len(w.Status.Placement) == 1 })
	pinned := e.submit("pinned", "true", func(s *apiv1.WorkloadSpec) {
		s.Resource.GPU, s.CustomerLabels = "8", map[string]string{workload.HostnameLabel: target.Name}
	})
	e.waitFor(pinned, "queued with a reason", func(w *workload.Workload) bool { return w.Status.Message != "" })
	target.Workspace = ""
	target.Version = 0
	if err := e.store.NodePut(t.Context(), target); err != nil {
		t.Fatal(err)
	}
	e.ctrl.Wake()
	w := e.waitFor(pinned, "Failed", phaseIs(apiv1.PhaseFailed))
	if want := msgNeverFits + "node " + target.Name + " is not a node of workspace " + testWorkspace; !hasMessage(w, want) {
		t.Errorf("conditions = %+v, want a failure saying %q", w.Status.Conditions, want)
	}
}
