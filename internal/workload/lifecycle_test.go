package workload

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func job(kind string, replica, maxRetry int) *Workload {
	return &Workload{
		ID: "train-abcde",
		Spec: apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: kind, Version: "v1"},
			Resource:         apiv1.WorkloadResource{Replica: replica},
			MaxRetry:         maxRetry,
		},
		Status: Status{Phase: apiv1.PhasePending},
	}
}

func placement(n int) []PodPlacement {
	out := make([]PodPlacement, n)
	for i := range out {
		out[i] = PodPlacement{Rank: i, Node: "node-1"}
	}
	return out
}

func TestPodID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind string
		rank int
		want string
	}{
		{apiv1.KindPyTorchJob, 0, "w-master-0"},
		{apiv1.KindPyTorchJob, 1, "w-worker-0"},
		{apiv1.KindPyTorchJob, 3, "w-worker-2"},
		{apiv1.KindAuthoring, 0, "w-master-0"},
		{apiv1.KindDeployment, 2, "w-2"},
		{apiv1.KindStatefulSet, 0, "w-0"},
	}
	for _, c := range cases {
		if got := PodID("w", c.kind, c.rank); got != c.want {
			t.Errorf("PodID(%s, %d) = %q, want %q", c.kind, c.rank, got, c.want)
		}
	}
}

func TestAdmitRecordsDispatch(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindPyTorchJob, 3, 0)
	w.Status.Requeue = DesireFailover
	w.Status.QueuePosition = 4
	if !Admit(w, []PodPlacement{{Rank: 0, Node: "a"}, {Rank: 1, Node: "a"}, {Rank: 2, Node: "b"}}, t0) {
		t.Fatal("Admit of a queued workload refused")
	}
	st := w.Status
	if st.DispatchCount != 1 || !w.WasAdmitted() || !w.Dispatched() || w.QueuesFirst() || st.QueuePosition != 0 {
		t.Fatalf("status after Admit = %+v", st)
	}
	if diff := cmp.Diff([][]string{{"a", "b"}}, st.Nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{"0", "2"}}, st.Ranks); diff != "" {
		t.Errorf("ranks (-want +got):\n%s", diff)
	}
	for _, typ := range []string{CondScheduled, CondDispatched} {
		if !st.HasCondition(typ, 1) {
			t.Errorf("missing %s run_1_times", typ)
		}
	}
	if len(st.Pods) != 3 || st.Pods[2].PodID != "train-abcde-worker-1" || st.Pods[2].Phase != PodPending {
		t.Errorf("pods = %+v", st.Pods)
	}
}

func TestObserveJob(t *testing.T) {
	t.Parallel()
	running := Pod{Phase: PodRunning, StartTime: t0}
	done := Pod{Phase: PodSucceeded, StartTime: t0, EndTime: t0.Add(time.Minute)}
	failed := Pod{PodID: "p", Phase: PodFailed, StartTime: t0, EndTime: t0.Add(time.Minute),
		Containers: []apiv1.ContainerStatus{{Name: "pytorch", Reason: "Error", ExitCode: 3}}}
	cases := []struct {
		name       string
		pods       []Pod
		wantPhase  string
		wantCond   string
		wantFailed bool
	}{
		{"all pending stays pending", []Pod{{Phase: PodPending}, {Phase: PodPending}}, apiv1.PhasePending, "", false},
		{"one running is running", []Pod{running, {Phase: PodPending}}, apiv1.PhaseRunning, CondRunning, false},
		{"all succeeded", []Pod{done, done}, apiv1.PhaseSucceeded, CondSucceeded, false},
		{"one succeeded one running", []Pod{done, running}, apiv1.PhaseRunning, CondRunning, false},
		{"a failure reports failed", []Pod{failed, running}, apiv1.PhasePending, CondFailed, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := job(apiv1.KindPyTorchJob, len(c.pods), 0)
			Admit(w, placement(len(c.pods)), t0)
			gotFailed := Observe(w, c.pods, t0.Add(time.Hour))
			if gotFailed != c.wantFailed || w.Status.Phase != c.wantPhase {
				t.Fatalf("Observe = %v, phase %s; want %v, %s", gotFailed, w.Status.Phase, c.wantFailed, c.wantPhase)
			}
			if c.wantCond != "" && !w.Status.HasCondition(c.wantCond, 1) {
				t.Errorf("missing condition %s", c.wantCond)
			}
			if c.wantPhase != apiv1.PhasePending && !w.Status.StartTime.Equal(t0) {
				t.Errorf("startTime = %v, want %v", w.Status.StartTime, t0)
			}
		})
	}
}

func TestObserveSucceededTakesLatestPodEnd(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindPyTorchJob, 2, 0)
	Admit(w, placement(2), t0)
	end := t0.Add(3 * time.Minute)
	Observe(w, []Pod{{Phase: PodSucceeded, EndTime: t0.Add(time.Minute)}, {Phase: PodSucceeded, EndTime: end}}, t0.Add(time.Hour))
	if !w.Status.EndTime.Equal(end) {
		t.Errorf("endTime = %v, want %v", w.Status.EndTime, end)
	}
}

func TestObserveService(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindDeployment, 2, 0)
	Admit(w, placement(2), t0)
	Observe(w, []Pod{{Phase: PodRunning, Ready: true}, {Phase: PodRunning, Ready: true}}, t0)
	if w.Status.Phase != apiv1.PhaseRunning {
		t.Fatalf("phase = %s, want Running", w.Status.Phase)
	}
	if failed := Observe(w, []Pod{{Phase: PodRunning, Ready: true}, {Phase: PodPending}}, t0); failed {
		t.Errorf("a service never reports failed: its pods restart")
	}
	if w.Status.Phase != apiv1.PhaseNotReady {
		t.Errorf("phase = %s, want NotReady", w.Status.Phase)
	}
}

func TestFailoverBudget(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindPyTorchJob, 1, 1)
	Admit(w, placement(1), t0)
	if !FailOver(w, "", t0) || w.State() != failingOver || w.Ended() {
		t.Fatalf("maxRetry 1 allows a second run after the first fails: state %v, phase %s", w.State(), w.Status.Phase)
	}
	if !Drained(w, t0) {
		t.Fatal("Drained of a failing-over workload refused")
	}
	if w.Status.Phase != apiv1.PhasePending || w.Dispatched() || !w.QueuesFirst() || !w.Status.HasCondition(CondScheduling, 2) {
		t.Fatalf("status after the drain = %+v", w.Status)
	}
	Admit(w, placement(1), t0)
	if !FailOver(w, "the node n is not ready", t0) || w.Status.Phase != apiv1.PhaseFailed || w.State() != stopping {
		t.Errorf("dispatch %d: the second run is the last, got phase %s, state %v", w.Status.DispatchCount, w.Status.Phase, w.State())
	}
	if w.Status.Message != "the node n is not ready" || !w.Status.HasCondition(CondFailed, 2) {
		t.Errorf("a failure for a reason says it: message %q, conditions %+v", w.Status.Message, w.Status.Conditions)
	}
	svc := job(apiv1.KindDeployment, 1, 0)
	for range 3 {
		Admit(svc, placement(1), t0)
		if !FailOver(svc, "", t0) || svc.State() != failingOver {
			t.Fatalf("a service always fails over: state %v", svc.State())
		}
		Drained(svc, t0)
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindPyTorchJob, 1, 0)
	if !Stop(w, "alice", false, t0) {
		t.Fatal("Stop of a pending workload changed nothing")
	}
	if w.Status.Phase != apiv1.PhaseStopped || !w.Status.EndTime.Equal(t0) || w.Status.StopRequested != "alice" {
		t.Fatalf("status = %+v", w.Status)
	}
	c := w.Status.Conditions[len(w.Status.Conditions)-1]
	if c.Type != CondStopped || c.Message != "the workload is stopped by alice" || c.Reason != "run_0_times" {
		t.Errorf("condition = %+v", c)
	}
	if Stop(w, "bob", false, t0.Add(time.Minute)) {
		t.Error("a second stop must change nothing")
	}
	if !Stop(w, "bob", true, t0.Add(time.Minute)) || !w.IsDeleted || w.Status.DeletionTime.IsZero() {
		t.Error("delete of a stopped workload must hide it")
	}
}

func TestTimedOut(t *testing.T) {
	t.Parallel()
	secs := 60
	w := job(apiv1.KindPyTorchJob, 1, 0)
	w.Spec.Timeout = &secs
	if TimedOut(w, t0.Add(time.Hour)) {
		t.Error("a workload that never started cannot time out")
	}
	w.Status.StartTime = t0
	if TimedOut(w, t0.Add(59*time.Second)) || !TimedOut(w, t0.Add(60*time.Second)) {
		t.Error("timeout counts from the start")
	}
	TimeOut(w, t0.Add(time.Minute))
	if w.Status.Phase != apiv1.PhaseStopped || w.Status.Conditions[0].Message != MsgTimedOut {
		t.Errorf("status = %+v", w.Status)
	}
}

func TestFailUsesAtLeastRunOne(t *testing.T) {
	t.Parallel()
	w := job(apiv1.KindPyTorchJob, 1, 0)
	Fail(w, "dependency workload x not found", t0)
	if w.Status.Phase != apiv1.PhaseFailed || !w.Status.HasCondition(CondAdminFail, 1) {
		t.Errorf("status = %+v", w.Status)
	}
}
