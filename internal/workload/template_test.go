package workload

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// runningService is a 2-replica Deployment admitted and Running on its first template.
func runningService(t *testing.T) *Workload {
	t.Helper()
	w := job(apiv1.KindDeployment, 2, 0)
	w.Spec.Image, w.Spec.Resource.CPU, w.Spec.Resource.Memory = "app:1", "1", "1Gi"
	Admit(w, placement(2), t0)
	old := PodTemplateHash(&w.Spec)
	Observe(w, []Pod{{Phase: PodRunning, Template: old}, {Phase: PodRunning, Template: old}}, t0)
	if w.Status.Phase != apiv1.PhaseRunning {
		t.Fatalf("phase %s, want Running", w.Status.Phase)
	}
	return w
}

func TestCanUpdateInPlace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*apiv1.WorkloadSpec)
		want   bool
	}{
		{"a new image", func(s *apiv1.WorkloadSpec) { s.Image = "app:2" }, true},
		{"new env", func(s *apiv1.WorkloadSpec) { s.Env = map[string]string{"A": "1"} }, true},
		{"more replicas", func(s *apiv1.WorkloadSpec) { s.Resource.Replica = 3 }, false},
		{"more memory per pod", func(s *apiv1.WorkloadSpec) { s.Resource.Memory = "2Gi" }, false},
	} {
		w := runningService(t)
		tc.change(&w.Spec)
		if !NeedsRestart(w) {
			t.Errorf("%s: NeedsRestart is false", tc.name)
		}
		if got := CanUpdateInPlace(w); got != tc.want {
			t.Errorf("%s: CanUpdateInPlace = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestUpdateInPlaceRollsOver: an updated service reads Updating, whatever its pods
// say, until every pod runs the new template; then Running, on the same dispatch.
func TestUpdateInPlaceRollsOver(t *testing.T) {
	t.Parallel()
	w := runningService(t)
	old := PodTemplateHash(&w.Spec)
	w.Spec.Image = "app:2"
	UpdateInPlace(w, t0)
	fresh := PodTemplateHash(&w.Spec)
	if fresh == old || NeedsRestart(w) || w.Status.Phase != apiv1.PhaseUpdating {
		t.Fatalf("after UpdateInPlace: pod hash %s (was %s), NeedsRestart %v, phase %s", fresh, old, NeedsRestart(w), w.Status.Phase)
	}
	for _, pods := range [][]Pod{
		{{Phase: PodRunning, Template: old}, {Phase: PodRunning, Template: old}},
		{{Phase: PodRunning, Template: fresh}, {Phase: PodPending, Template: fresh}},
		{{Phase: PodRunning, Template: fresh}, {Phase: PodRunning, Template: old}},
	} {
		Observe(w, pods, t0)
		if w.Status.Phase != apiv1.PhaseUpdating || !w.Status.Rolling {
			t.Fatalf("pods %+v: phase %s, rolling %v; want Updating", pods, w.Status.Phase, w.Status.Rolling)
		}
	}
	Observe(w, []Pod{{Phase: PodRunning, Template: fresh}, {Phase: PodRunning, Template: fresh}}, t0)
	if w.Status.Phase != apiv1.PhaseRunning || w.Status.Rolling || w.Status.DispatchCount != 1 {
		t.Fatalf("rolled over: phase %s, rolling %v, dispatch %d; want Running on dispatch 1",
			w.Status.Phase, w.Status.Rolling, w.Status.DispatchCount)
	}
}
