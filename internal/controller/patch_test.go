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

// TestPatchedServiceRollsOrRestarts: an env change of a running Deployment rolls its
// pod in place (the dispatch stays; the new pod has the new env); a change of what
// each pod asks for restarts it as a new dispatch.
func TestPatchedServiceRollsOrRestarts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("svc", `echo "greeting=$GREETING"; exec sleep 60`, func(s *apiv1.WorkloadSpec) {
		s.GroupVersionKind.Kind = apiv1.KindDeployment
		s.Env = map[string]string{"GREETING": "hello"}
	})
	first := e.waitFor(id, "Running", phaseIs(apiv1.PhaseRunning)).Status.Pods[0].PodID
	e.patch(id, apiv1.PatchWorkloadRequest{Env: &map[string]string{"GREETING": "bonjour"}})
	w := e.waitFor(id, "rolled in place", func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Pods) == 1 &&
			w.Status.Pods[0].Template == workload.PodTemplateHash(&w.Spec)
	})
	if w.Status.DispatchCount != 1 || w.Status.Pods[0].PodID == first || !w.Status.HasCondition(workload.CondUpdating, 1) {
		t.Errorf("after the env change: dispatch %d, pod %s (was %s), conditions %+v; want dispatch 1, a new pod, K8sUpdating",
			w.Status.DispatchCount, w.Status.Pods[0].PodID, first, w.Status.Conditions)
	}
	waitGreeting(t, e, w, "greeting=bonjour")

	e.patch(id, apiv1.PatchWorkloadRequest{CPU: new("2"), Env: &map[string]string{"GREETING": "hola"}})
	w = e.waitFor(id, "running its second dispatch", func(w *workload.Workload) bool {
		return w.Status.DispatchCount == 2 && w.Status.Phase == apiv1.PhaseRunning
	})
	waitGreeting(t, e, w, "greeting=hola")
}

// waitGreeting waits for the first line of w's pod and fails unless it is want.
func waitGreeting(t *testing.T, e *env, w *workload.Workload, want string) {
	t.Helper()
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
	if err != nil || len(lines) == 0 || lines[0] != want {
		t.Errorf("logs of pod %s = %q, %v; want %s", w.Status.Pods[0].PodID, lines, err, want)
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
