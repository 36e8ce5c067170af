package workload

import (
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestPauseRunningThenResume: a running dev machine pauses once its pods are gone,
// holding nothing, and a resume queues it for its next dispatch.
func TestPauseRunningThenResume(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindAuthoring, 1, 0)
	Admit(w, placement(1), t0)
	w.Status.Phase = apiv1.PhaseRunning
	if !Pause(w, MsgPausedBy+"alice", t0) {
		t.Fatal("Pause of a running dev machine was refused")
	}
	if !w.Draining() || !w.Paused() || w.Status.Message != MsgPausing || !w.Status.PauseTime.Equal(t0) {
		t.Fatalf("pausing: state %v, message %q, pause time %v", w.State(), w.Status.Message, w.Status.PauseTime)
	}
	if !w.Status.HasCondition(CondPaused, 1) {
		t.Errorf("no %s condition: %+v", CondPaused, w.Status.Conditions)
	}
	if !Drained(w, t0.Add(time.Second)) {
		t.Fatal("Drained of a pausing workload was refused")
	}
	if w.State() != paused || w.Status.Phase != apiv1.PhasePaused || w.WasAdmitted() || len(w.Status.Pods) != 0 {
		t.Fatalf("paused: state %v, phase %s, placement %v, pods %v", w.State(), w.Status.Phase, w.Status.Placement, w.Status.Pods)
	}
	t1 := t0.Add(time.Minute)
	if !Resume(w, "bob", t1) {
		t.Fatal("Resume of a paused workload was refused")
	}
	st := &w.Status
	if w.State() != queued || st.Phase != apiv1.PhasePending || !st.PauseTime.IsZero() || !st.LastActivity.Equal(t1) {
		t.Fatalf("resumed: state %v, phase %s, pause time %v, last activity %v", w.State(), st.Phase, st.PauseTime, st.LastActivity)
	}
	if !st.HasCondition(CondScheduling, 2) || w.QueuesFirst() {
		t.Errorf("resumed: conditions %+v, queues first %v", st.Conditions, w.QueuesFirst())
	}
	if !Admit(w, placement(1), t1) || w.Status.DispatchCount != 2 {
		t.Errorf("a resumed workload is not admitted as its dispatch 2: %v, %d", w.State(), w.Status.DispatchCount)
	}
}

// TestPauseQueuedLeavesTheQueue: a queued dev machine pauses at once.
func TestPauseQueuedLeavesTheQueue(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindDeployment, 2, 0)
	w.Status.QueuePosition = 3
	if !Pause(w, MsgPausedBy+"alice", t0) {
		t.Fatal("Pause of a queued workload was refused")
	}
	if w.State() != paused || w.Status.Phase != apiv1.PhasePaused || w.Status.QueuePosition != 0 {
		t.Errorf("state %v, phase %s, queue position %d", w.State(), w.Status.Phase, w.Status.QueuePosition)
	}
}

// TestPauseRefusesJobs: a job is not paused, whatever its state.
func TestPauseRefusesJobs(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{apiv1.KindPyTorchJob, apiv1.KindAuthoring, apiv1.KindDeployment, apiv1.KindStatefulSet, apiv1.KindAutoscalingRunnerSet} {
		w := job(kind, 1, 0)
		if got, want := Pause(w, "x", t0), kind != apiv1.KindPyTorchJob; got != want {
			t.Errorf("Pause of a queued %s: %v, want %v", kind, got, want)
		}
	}
}

// TestPendingRestart: a dev machine whose spec changed while it runs keeps its pods
// and says a restart would apply the change.
func TestPendingRestart(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindAuthoring, 1, 0)
	w.Spec.Image = "a"
	Admit(w, placement(1), t0)
	if PendingRestart(w) {
		t.Fatal("pending restart before any change")
	}
	w.Spec.Image = "b"
	if !PendingRestart(w) || TemplateChanged(w) {
		t.Errorf("after a change: pending restart %v (want true), template changed %v (want false: no restart)",
			PendingRestart(w), TemplateChanged(w))
	}
}
