package scheduler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berth-dev/berth/internal/workload"
)

// TestGrowthIsAnEntryOfItsOwn: the replicas a running service waits to add in place
// queue beside its admitted entry under the same ID, marked Growth in the plan, and
// go without taking the service with them.
func TestGrowthIsAnEntryOfItsOwn(t *testing.T) {
	t.Parallel()
	p := NewPlanner()
	p.UpsertWorkspace(Workspace{ID: "ws"})
	p.UpsertNode(node("n1", 8))
	p.UpsertWorkload(wl("svc", 1, 4, admitted(pp(0, "n1", 0, 1, 2, 3))))
	grow := wl("svc", 3, 4, func(w *Workload) { w.Growth = true })
	p.UpsertWorkload(grow)

	plan := p.Plan(now)
	if len(plan.Admit) != 0 || len(plan.Pending) != 1 {
		t.Fatalf("three more 4-GPU replicas cannot fit in 4 free GPUs: %+v", plan)
	}
	if got := plan.Pending[0]; got.WorkloadID != "svc" || !got.Growth {
		t.Errorf("pending = %+v, want svc's growth", got)
	}
	x, ok := p.Explain("svc", now)
	if !ok || x.WorkloadID != "svc" || x.Admitted {
		t.Errorf("Explain(svc) = %+v, %v; want why its growth waits", x, ok)
	}

	grow.Replica = 1
	p.UpsertWorkload(grow)
	plan = p.Plan(now)
	want := []Admission{{WorkloadID: "svc", Growth: true, Placement: []workload.PodPlacement{pp(0, "n1", 4, 5, 6, 7)}}}
	if diff := cmp.Diff(want, plan.Admit, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("admissions (-want +got):\n%s", diff)
	}

	p.RemoveGrowth("svc")
	if x, ok := p.Explain("svc", now); !ok || !x.Admitted {
		t.Errorf("after RemoveGrowth, Explain(svc) = %+v, %v; want the service, admitted", x, ok)
	}
	p.RemoveWorkload("svc")
	if _, ok := p.Explain("svc", now); ok {
		t.Error("RemoveWorkload left an entry of svc")
	}
}
