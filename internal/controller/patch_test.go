package controller

import (
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// patch applies a PATCH body to a stored workload, as the API does.
func (e *env) patch(id string, p apiv1.PatchWorkloadRequest) {
	e.t.Helper()
	for {
		w, err := e.store.WorkloadGet(e.t.Context(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if fe := workload.ApplyPatch(&w.Spec, &p, time.Now()); len(fe) > 0 {
			e.t.Fatalf("patch: %v", fe)
		}
		if err := e.store.WorkloadUpdate(e.t.Context(), w); err == nil {
			e.ctrl.Wake()
			return
		}
	}
}

func TestPatchedServiceRestartsWithItsNewSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("svc", `echo "greeting=$GREETING"; exec sleep 60`, func(s *apiv1.WorkloadSpec) {
		s.GroupVersionKind.Kind = apiv1.KindDeployment
		s.Env = map[string]string{"GREETING": "hello"}
	})
	e.waitFor(id, "Running", phaseIs(apiv1.PhaseRunning))
	e.patch(id, apiv1.PatchWorkloadRequest{Env: &map[string]string{"GREETING": "bonjour"}})
	w := e.waitFor(id, "running its second dispatch", func(w *workload.Workload) bool {
		return w.Status.DispatchCount == 2 && w.Status.Phase == apiv1.PhaseRunning
	})
	if !w.Status.HasCondition(workload.CondUpdating, 1) {
		t.Errorf("no K8sUpdating condition for the first run: %+v", w.Status.Conditions)
	}
	// Running comes before the pod's first line is written: wait for it.
	var lines []string
	var err error
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for len(lines) == 0 && time.Now().Before(deadline) {
		<-tick.C
		lines, err = e.rt.Logs(t.Context(), runtime.RefOf(w), w.Status.Pods[0].PodID, runtime.LogOptions{})
	}
	if err != nil || len(lines) == 0 || lines[0] != "greeting=bonjour" {
		t.Errorf("logs of the restarted pod = %q, %v; want greeting=bonjour", lines, err)
	}
}

func TestPatchedJobKeepsWhatItWasAdmittedWith(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := e.submit("big", "sleep 60", func(s *apiv1.WorkloadSpec) { s.Resource.Replica, s.Resource.GPU = 2, "8" })
	e.waitFor(big, "Running", phaseIs(apiv1.PhaseRunning))
	e.patch(big, apiv1.PatchWorkloadRequest{GPU: new("1")})
	next := e.submit("next", "true", func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "8" })
	w := e.waitFor(next, "queued with a reason", func(w *workload.Workload) bool { return w.Status.Message != "" })
	if w.Status.Phase != apiv1.PhasePending || !strings.Contains(w.Status.Message, "Insufficient total gpu") {
		t.Errorf("next = %s %q: the running job still holds its 16 GPUs", w.Status.Phase, w.Status.Message)
	}
	b, err := e.store.WorkloadGet(t.Context(), big)
	if err != nil || b.Status.DispatchCount != 1 || b.Status.Phase != apiv1.PhaseRunning {
		t.Errorf("big = %+v, %v; a job is not restarted by a PATCH", b.Status, err)
	}
}
