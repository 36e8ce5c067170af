package controller

import (
	"slices"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// change applies step to the stored workload as a use case would, and wakes the
// controller.
func (e *env) change(id string, step func(*workload.Workload) bool) {
	e.t.Helper()
	err := store.RetryOnConflict(e.t.Context(), func() error {
		w, err := e.store.WorkloadGet(e.t.Context(), id)
		if err != nil {
			return err
		}
		if !step(w) {
			e.t.Fatalf("the step was refused in state %v", w.State())
		}
		return e.store.WorkloadUpdate(e.t.Context(), w)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.ctrl.Wake()
}

// TestPauseFreesGPUsAndResumeQueues: a paused dev machine's pods go and its GPUs
// serve a queued job; resumed, it waits for room with a message, and runs again as
// its next dispatch once the job is stopped, with what it wrote in its home.
func TestPauseFreesGPUsAndResumeQueues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	filler := e.submit("filler", "sleep 600", func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "8" })
	e.waitFor(filler, "Running", phaseIs(apiv1.PhaseRunning)) // one node's GPUs
	// Each dispatch shows what the home holds, then adds to it.
	notes := `cat "$HOME/notes" 2>/dev/null; echo "written by $DISPATCH_COUNT" >> "$HOME/notes"; sleep 600`
	dev := e.submitRaw("dev", "", func(s *apiv1.WorkloadSpec) {
		s.GroupVersionKind.Kind, s.Resource.GPU = apiv1.KindAuthoring, "8"
	}, func(s *apiv1.WorkloadSpec) { s.EntryPoint = workload.EncodeEntryPoint(notes) })
	e.waitFor(dev, "Running", phaseIs(apiv1.PhaseRunning)) // the other's
	train := e.submit("train", "sleep 600", func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "8" })
	e.waitFor(train, "waiting for GPUs", func(w *workload.Workload) bool { return w.Status.Message != "" })

	e.change(dev, func(w *workload.Workload) bool { return workload.Pause(w, workload.MsgPausedBy+"tester", time.Now()) })
	w := e.waitFor(dev, "Paused", phaseIs(apiv1.PhasePaused))
	if w.Status.PauseTime.IsZero() || len(w.Status.Pods) != 0 || !w.Status.HasCondition(workload.CondPaused, 1) {
		t.Errorf("paused: pause time %v, pods %v, conditions %+v", w.Status.PauseTime, w.Status.Pods, w.Status.Conditions)
	}
	st, err := e.rt.Status(t.Context(), runtime.RefOf(w))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st {
		if p.Live() {
			t.Errorf("a pod of the paused workload still runs: %+v", p)
		}
	}
	e.waitFor(train, "Running on the freed GPUs", phaseIs(apiv1.PhaseRunning))

	e.change(dev, func(w *workload.Workload) bool { return workload.Resume(w, "tester", time.Now()) })
	w = e.waitFor(dev, "waiting for room", func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhasePending && w.Status.Message != "" && w.Status.QueuePosition > 0
	})
	if w.Paused() || !w.Status.PauseTime.IsZero() {
		t.Errorf("resumed but still paused: %v, pause time %v", w.State(), w.Status.PauseTime)
	}
	e.change(train, func(w *workload.Workload) bool { return workload.Stop(w, "tester", false, time.Now()) })
	w = e.waitFor(dev, "running again", func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhaseRunning && w.Status.DispatchCount == 2
	})
	if !w.Active() {
		t.Errorf("state %v, want running", w.State())
	}
	var log []string
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(20 * time.Second); !slices.Contains(log, "written by 1") && time.Now().Before(deadline); <-tick.C {
		log, _ = e.rt.Logs(t.Context(), runtime.RefOf(w), w.Status.Pods[0].PodID, runtime.LogOptions{})
	}
	if !slices.Contains(log, "written by 1") {
		t.Errorf("the resumed dev machine's home lacks what it wrote before the pause; its log: %q", log)
	}
}
