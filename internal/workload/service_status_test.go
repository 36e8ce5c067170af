package workload

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// svcPods are n pods of a service, ranked, made from template; ready says which serve.
func svcPods(template string, ready ...bool) []Pod {
	out := make([]Pod, len(ready))
	for i, r := range ready {
		out[i] = Pod{Rank: i, Node: "node-1", Phase: PodRunning, Ready: r, Template: template}
	}
	return out
}

func condition(t *testing.T, w *Workload, typ string) Condition {
	t.Helper()
	c, ok := w.Status.StatusCondition(typ)
	if !ok {
		t.Fatalf("no %s condition in %+v", typ, w.Status.Conditions)
	}
	return c
}

// TestServiceReadiness: Running with every replica ready; NotReady, Available False,
// when one is not; Running again when it recovers, the counts following.
func TestServiceReadiness(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindDeployment, 3, 0)
	Admit(w, placement(3), t0)
	tmpl := PodTemplateHash(&w.Spec)
	for _, step := range []struct {
		ready     []bool
		phase     string
		counts    ReplicaCounts
		available string
		progress  string
	}{
		{[]bool{false, false, false}, apiv1.PhasePending, ReplicaCounts{3, 0, 0, 3}, ConditionFalse, ReasonRolloutMoves},
		{[]bool{true, true, true}, apiv1.PhaseRunning, ReplicaCounts{3, 3, 3, 3}, ConditionTrue, ReasonRolloutComplete},
		{[]bool{true, false, true}, apiv1.PhaseNotReady, ReplicaCounts{3, 2, 2, 3}, ConditionFalse, ReasonRolloutComplete},
		{[]bool{true, true, true}, apiv1.PhaseRunning, ReplicaCounts{3, 3, 3, 3}, ConditionTrue, ReasonRolloutComplete},
	} {
		Observe(w, svcPods(tmpl, step.ready...), t0)
		if w.Status.Phase != step.phase {
			t.Errorf("ready %v: phase %s, want %s", step.ready, w.Status.Phase, step.phase)
		}
		if diff := cmp.Diff(&step.counts, w.Status.Replicas); diff != "" {
			t.Errorf("ready %v: counts (-want +got):\n%s", step.ready, diff)
		}
		if c := condition(t, w, CondAvailable); c.Status != step.available {
			t.Errorf("ready %v: Available %s (%s), want %s", step.ready, c.Status, c.Message, step.available)
		}
		if c := condition(t, w, CondProgressing); c.Reason != step.progress || c.Status != ConditionTrue {
			t.Errorf("ready %v: Progressing %s %s, want True %s", step.ready, c.Status, c.Reason, step.progress)
		}
	}
}

// TestAvailableFloor: with maxUnavailable 1, two ready replicas of three are enough.
func TestAvailableFloor(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindStatefulSet, 3, 0)
	w.Spec.Service = &apiv1.Service{Extends: map[string]string{ExtendMaxUnavailable: "1"}}
	Admit(w, placement(3), t0)
	Observe(w, svcPods(PodTemplateHash(&w.Spec), true, false, true), t0)
	if c := condition(t, w, CondAvailable); c.Status != ConditionTrue || c.Reason != ReasonMinimumAvailable {
		t.Errorf("Available %s %s (%s), want True %s", c.Status, c.Reason, c.Message, ReasonMinimumAvailable)
	}
}

// TestRolloutDeadline: a rollout whose new pod never becomes ready is reported stuck
// once it made no progress for progressDeadlineSeconds; the old pods serve, so the
// phase follows them. A later ready pod completes it.
func TestRolloutDeadline(t *testing.T) {
	t.Parallel()
	w := runningService(t)
	w.Spec.Service = &apiv1.Service{Extends: map[string]string{ExtendProgressDeadline: "60", ExtendMaxSurge: "1", ExtendMaxUnavailable: "0"}}
	old := PodTemplateHash(&w.Spec)
	w.Spec.Image = "app:2"
	fresh := PodTemplateHash(&w.Spec)
	start := t0.Add(time.Minute)
	UpdateInPlace(w, start)
	UpdateApplied(w)
	surge := Pod{Rank: 0, Node: "node-1", Phase: PodRunning, Template: fresh} // never ready
	pods := append(svcPods(old, true, true), surge)
	Observe(w, pods, start.Add(time.Second))
	if w.Status.Phase != apiv1.PhaseUpdating || RolloutStuck(w) {
		t.Fatalf("in the deadline: phase %s, stuck %v", w.Status.Phase, RolloutStuck(w))
	}
	Observe(w, pods, start.Add(61*time.Second))
	c := condition(t, w, CondProgressing)
	if c.Status != ConditionFalse || c.Reason != ReasonDeadlineExceeded {
		t.Fatalf("past the deadline: Progressing %s %s, want False %s", c.Status, c.Reason, ReasonDeadlineExceeded)
	}
	if w.Status.Phase != apiv1.PhaseRunning || condition(t, w, CondAvailable).Status != ConditionTrue {
		t.Errorf("stuck with both old replicas serving: phase %s, want Running and Available", w.Status.Phase)
	}
	if got := w.Status.Replicas; got.Replicas != 3 || got.Updated != 1 || got.Available != 2 {
		t.Errorf("counts %+v, want 3 pods, 1 updated, 2 available", got)
	}
	Observe(w, svcPods(fresh, true, true), start.Add(90*time.Second))
	if c := condition(t, w, CondProgressing); c.Status != ConditionTrue || c.Reason != ReasonRolloutComplete ||
		w.Status.Phase != apiv1.PhaseRunning || w.Status.Rollout != RolloutNone {
		t.Errorf("rolled out at last: Progressing %s %s, phase %s, rollout %q", c.Status, c.Reason, w.Status.Phase, w.Status.Rollout)
	}
}

// TestLostReplicaIsNoStuckRollout: a replica that stops being ready after a rollout
// completed leaves Progressing as it was, however long it lasts.
func TestLostReplicaIsNoStuckRollout(t *testing.T) {
	t.Parallel()
	w := runningService(t)
	Observe(w, svcPods(PodTemplateHash(&w.Spec), true, false), t0.Add(time.Hour))
	if c := condition(t, w, CondProgressing); c.Status != ConditionTrue || c.Reason != ReasonRolloutComplete {
		t.Errorf("Progressing %s %s, want True %s", c.Status, c.Reason, ReasonRolloutComplete)
	}
	if w.Status.Phase != apiv1.PhaseNotReady {
		t.Errorf("phase %s, want NotReady", w.Status.Phase)
	}
}
