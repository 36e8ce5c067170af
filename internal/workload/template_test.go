package workload

import (
	"slices"
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
	Observe(w, []Pod{{Phase: PodRunning, Ready: true, Template: old}, {Phase: PodRunning, Ready: true, Template: old}}, t0)
	if w.Status.Phase != apiv1.PhaseRunning {
		t.Fatalf("phase %s, want Running", w.Status.Phase)
	}
	return w
}

func TestInPlace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*apiv1.WorkloadSpec)
		want   bool
	}{
		{"a new image", func(s *apiv1.WorkloadSpec) { s.Image = "app:2" }, true},
		{"new env", func(s *apiv1.WorkloadSpec) { s.Env = map[string]string{"A": "1"} }, true},
		{"more replicas", func(s *apiv1.WorkloadSpec) { s.Resource.Replica = 5 }, true},
		{"fewer replicas", func(s *apiv1.WorkloadSpec) { s.Resource.Replica = 1 }, true},
		{"more memory per pod", func(s *apiv1.WorkloadSpec) { s.Resource.Memory = "2Gi" }, false},
		{"a new image on named nodes", func(s *apiv1.WorkloadSpec) {
			s.Image, s.CustomerLabels = "app:2", map[string]string{HostnameLabel: "n1 n2"}
		}, false},
	} {
		w := runningService(t)
		tc.change(&w.Spec)
		if !TemplateChanged(w) {
			t.Errorf("%s: TemplateChanged is false", tc.name)
		}
		if got := InPlace(w); got != tc.want {
			t.Errorf("%s: InPlace = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestScaleInPlace: fewer replicas leave the placement at once; more wait for room,
// Updating, then join it ranked after the others, on the same dispatch.
func TestScaleInPlace(t *testing.T) {
	t.Parallel()
	w := runningService(t)
	w.Spec.Resource.Replica = 1
	UpdateInPlace(w, t0)
	if len(w.Status.Placement) != 1 || len(w.Status.Releasing) != 1 || w.Status.Rollout != RolloutRecorded || Growing(w) || TemplateChanged(w) {
		t.Fatalf("shrunk: placement %v, releasing %v, rollout %q, growing %v",
			w.Status.Placement, w.Status.Releasing, w.Status.Rollout, Growing(w))
	}
	UpdateApplied(w) // the runtime was told
	tmpl := PodTemplateHash(&w.Spec)
	kept := Pod{Rank: 0, Node: "node-1", Phase: PodRunning, Ready: true, Template: tmpl}
	dropped := Pod{Rank: 1, Node: "node-1", Phase: PodRunning, Ready: true, Template: tmpl}
	Observe(w, []Pod{kept, dropped}, t0)
	if w.Status.Phase != apiv1.PhaseUpdating || len(w.Status.Releasing) != 1 {
		t.Fatalf("the dropped pod still there: phase %s, releasing %v; want Updating, held", w.Status.Phase, w.Status.Releasing)
	}
	// Grown back meanwhile: rank 1 is placed again, elsewhere; the old pod still holds
	// its node until it is gone.
	regrown := *w
	regrown.Status.Placement = append(slices.Clone(w.Status.Placement), PodPlacement{Rank: 1, Node: "node-2"})
	Observe(&regrown, []Pod{kept, dropped, {Rank: 1, Node: "node-2", Phase: PodRunning, Ready: true, Template: tmpl}}, t0)
	if len(regrown.Status.Releasing) != 1 {
		t.Fatalf("a rank placed again elsewhere freed the old pod's node too early: releasing %v", regrown.Status.Releasing)
	}
	dropped.Phase = PodFailed
	Observe(w, []Pod{kept, dropped}, t0)
	if w.Status.Phase != apiv1.PhaseRunning || w.Status.Releasing != nil {
		t.Fatalf("shrunk, the dropped pod ended: phase %s, releasing %v", w.Status.Phase, w.Status.Releasing)
	}

	w.Spec.Resource.Replica = 3
	UpdateInPlace(w, t0)
	UpdateApplied(w) // the runtime was told of the template
	if !Growing(w) || w.Status.Phase != apiv1.PhaseUpdating {
		t.Fatalf("growing: growing %v, rollout %q, phase %s", Growing(w), w.Status.Rollout, w.Status.Phase)
	}
	Observe(w, []Pod{{Phase: PodRunning, Ready: true, Template: tmpl}}, t0)
	if w.Status.Phase != apiv1.PhaseUpdating {
		t.Fatalf("waiting for room, its one pod Running: phase %s, want Updating", w.Status.Phase)
	}
	Grow(w, []PodPlacement{{Rank: 1, Node: "node-2"}, {Rank: 2, Node: "node-3"}}, t0)
	want := []PodPlacement{{Rank: 0, Node: "node-1"}, {Rank: 1, Node: "node-2"}, {Rank: 2, Node: "node-3"}}
	if !slices.EqualFunc(w.Status.Placement, want, func(a, b PodPlacement) bool { return a.Rank == b.Rank && a.Node == b.Node }) ||
		w.Status.Rollout != RolloutRecorded || Growing(w) {
		t.Fatalf("grown: placement %+v, rollout %q", w.Status.Placement, w.Status.Rollout)
	}
	if nodes := w.Status.Nodes[len(w.Status.Nodes)-1]; !slices.Equal(nodes, []string{"node-1", "node-2", "node-3"}) {
		t.Errorf("the dispatch's nodes: %v", nodes)
	}
	running := Pod{Phase: PodRunning, Ready: true, Template: tmpl}
	Observe(w, []Pod{running, running, running}, t0)
	if w.Status.Phase != apiv1.PhaseUpdating {
		t.Fatalf("grown, the runtime not told yet: phase %s, want Updating", w.Status.Phase)
	}
	UpdateApplied(w)
	Observe(w, []Pod{running, running, running}, t0)
	if w.Status.Phase != apiv1.PhaseRunning || w.Status.DispatchCount != 1 {
		t.Fatalf("grown and running: phase %s, dispatch %d", w.Status.Phase, w.Status.DispatchCount)
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
	UpdateApplied(w)
	fresh := PodTemplateHash(&w.Spec)
	if fresh == old || TemplateChanged(w) || w.Status.Phase != apiv1.PhaseUpdating {
		t.Fatalf("after UpdateInPlace: pod hash %s (was %s), TemplateChanged %v, phase %s", fresh, old, TemplateChanged(w), w.Status.Phase)
	}
	for _, pods := range [][]Pod{
		{{Phase: PodRunning, Ready: true, Template: old}, {Phase: PodRunning, Ready: true, Template: old}},
		{{Phase: PodRunning, Ready: true, Template: fresh}, {Phase: PodPending, Template: fresh}},
		{{Phase: PodRunning, Ready: true, Template: fresh}, {Phase: PodRunning, Ready: true, Template: old}},
	} {
		Observe(w, pods, t0)
		if w.Status.Phase != apiv1.PhaseUpdating || w.Status.Rollout != RolloutRolling {
			t.Fatalf("pods %+v: phase %s, rollout %q; want Updating", pods, w.Status.Phase, w.Status.Rollout)
		}
	}
	Observe(w, []Pod{{Phase: PodRunning, Ready: true, Template: fresh}, {Phase: PodRunning, Ready: true, Template: fresh}}, t0)
	if w.Status.Phase != apiv1.PhaseRunning || w.Status.Rollout != RolloutNone || w.Status.DispatchCount != 1 {
		t.Fatalf("rolled over: phase %s, rollout %q, dispatch %d; want Running on dispatch 1",
			w.Status.Phase, w.Status.Rollout, w.Status.DispatchCount)
	}
}
