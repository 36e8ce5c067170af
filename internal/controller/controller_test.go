package controller

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

func TestJobRunsToSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("ok", `echo "rank=$RANK world=$WORLD_SIZE gpus=$CUDA_VISIBLE_DEVICES"`, func(s *apiv1.WorkloadSpec) {
		s.Resource.Replica, s.Resource.GPU = 2, "4"
	})
	w := e.waitFor(id, "Succeeded", phaseIs(apiv1.PhaseSucceeded))
	if w.Status.DispatchCount != 1 || w.Status.StartTime.IsZero() || w.Status.EndTime.IsZero() {
		t.Errorf("status = %+v", w.Status)
	}
	for _, typ := range []string{workload.CondScheduled, workload.CondDispatched, workload.CondSucceeded} {
		if !w.Status.HasCondition(typ, 1) {
			t.Errorf("missing condition %s", typ)
		}
	}
	seen := map[string]bool{}
	for _, p := range w.Status.Pods {
		lines, err := e.rt.Logs(t.Context(), runtime.RefOf(w), p.PodID, runtime.LogOptions{})
		if err != nil || len(lines) == 0 {
			t.Fatalf("logs of %s: %v %v", p.PodID, lines, err)
		}
		seen[lines[0]] = true
	}
	// Two pods of 4 GPUs pack onto one 8-GPU node with distinct indices.
	for _, want := range []string{"rank=0 world=2 gpus=0,1,2,3", "rank=1 world=2 gpus=4,5,6,7"} {
		if !seen[want] {
			t.Errorf("no pod printed %q; got %v", want, seen)
		}
	}
}

func TestFailingJobRetriesThenFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("fail", "echo try $DISPATCH_COUNT; exit 3", func(s *apiv1.WorkloadSpec) { s.MaxRetry = 1 })
	w := e.waitFor(id, "Failed", phaseIs(apiv1.PhaseFailed))
	if w.Status.DispatchCount != 2 {
		t.Errorf("dispatchCount = %d, want 2", w.Status.DispatchCount)
	}
	for _, c := range []struct {
		typ string
		n   int
	}{{workload.CondFailed, 1}, {workload.CondFailover, 1}, {workload.CondScheduling, 2}, {workload.CondFailed, 2}} {
		if !w.Status.HasCondition(c.typ, c.n) {
			t.Errorf("missing condition %s run_%d_times", c.typ, c.n)
		}
	}
	if w.Status.HasCondition(workload.CondFailover, 2) {
		t.Error("the last run must not fail over")
	}
	pod := w.Status.Pods[0]
	if len(pod.Containers) != 1 || pod.Containers[0].ExitCode != 3 {
		t.Errorf("pod containers = %+v, want exit code 3", pod.Containers)
	}
}

func TestGangWaitsForWholeCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	blocker := e.submit("blocker", "sleep 30", func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "8" })
	e.waitFor(blocker, "Running", phaseIs(apiv1.PhaseRunning))
	gang := e.submit("gang", "true", func(s *apiv1.WorkloadSpec) { s.Resource.Replica, s.Resource.GPU = 2, "8" })
	w := e.waitFor(gang, "queued with a reason", func(w *workload.Workload) bool { return w.Status.Message != "" })
	if w.Status.Phase != apiv1.PhasePending || w.Status.QueuePosition != 1 || w.Status.DispatchCount != 0 {
		t.Fatalf("gang status = %+v", w.Status)
	}
	if !strings.Contains(w.Status.Message, "Insufficient total gpu resources") {
		t.Errorf("message = %q", w.Status.Message)
	}
	b, err := e.store.WorkloadGet(t.Context(), blocker)
	if err != nil {
		t.Fatal(err)
	}
	workload.Stop(b, "test", false, time.Now())
	if err := e.store.WorkloadUpdate(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	e.ctrl.Wake()
	w = e.waitFor(gang, "Succeeded", phaseIs(apiv1.PhaseSucceeded))
	if diff := len(w.Status.Nodes[0]); diff != 2 {
		t.Errorf("gang used nodes %v, want both", w.Status.Nodes)
	}
}

func TestDependencies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.submit("first", "exit 1", nil)
	after := e.submit("after", "true", func(s *apiv1.WorkloadSpec) { s.Dependencies = []string{first} })
	orphan := e.submit("orphan", "true", func(s *apiv1.WorkloadSpec) { s.Dependencies = []string{"missing-zzzzz"} })
	w := e.waitFor(after, "Failed", phaseIs(apiv1.PhaseFailed))
	if w.Status.DispatchCount != 0 || !hasMessage(w, "dependency workload "+first+" failed") {
		t.Errorf("after = %+v", w.Status)
	}
	w = e.waitFor(orphan, "Failed", phaseIs(apiv1.PhaseFailed))
	if !hasMessage(w, "dependency workload missing-zzzzz not found") {
		t.Errorf("orphan = %+v", w.Status.Conditions)
	}
	ok := e.submit("ok", "true", nil)
	next := e.submit("next", "true", func(s *apiv1.WorkloadSpec) { s.Dependencies = []string{ok} })
	e.waitFor(next, "Succeeded", phaseIs(apiv1.PhaseSucceeded))
}

func hasMessage(w *workload.Workload, msg string) bool {
	for _, c := range w.Status.Conditions {
		if c.Message == msg {
			return true
		}
	}
	return false
}

func TestCronStartWaits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	at := time.Now().UTC().Add(2 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	id := e.submit("later", "true", func(s *apiv1.WorkloadSpec) { s.CronJobs = []apiv1.CronJob{{Schedule: at, Action: "start"}} })
	w := e.waitFor(id, "waiting for its time", func(w *workload.Workload) bool { return w.Status.Message != "" })
	if w.Status.Message != "The Execution time has not been reached" || w.Status.DispatchCount != 0 {
		t.Errorf("status = %+v", w.Status)
	}
}

func TestTimeoutStopsAndTTLReleases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	timeout, ttl := 1, 0
	id := e.submit("slow", "sleep 60", func(s *apiv1.WorkloadSpec) { s.Timeout, s.TTLSecondsAfterFinished = &timeout, &ttl })
	w := e.waitFor(id, "released", func(w *workload.Workload) bool { return w.Released() })
	if w.Status.Phase != apiv1.PhaseStopped || !hasMessage(w, workload.MsgTimedOut) {
		t.Errorf("status = %+v", w.Status)
	}
	for _, p := range w.Status.Pods {
		if p.Phase != workload.PodStopped && p.Phase != workload.PodFailed {
			t.Errorf("pod %s phase %s after timeout", p.PodID, p.Phase)
		}
	}
	if _, err := e.rt.Logs(t.Context(), runtime.RefOf(w), w.Status.Pods[0].PodID, runtime.LogOptions{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("logs after TTL: err = %v, want ErrNotFound", err)
	}
}

func TestDeletedWorkloadIsReleased(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("gone", "sleep 60", nil)
	w := e.waitFor(id, "Running", phaseIs(apiv1.PhaseRunning))
	workload.Stop(w, "test", true, time.Now())
	if err := e.store.WorkloadUpdate(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	e.ctrl.Wake()
	w = e.waitFor(id, "released", func(w *workload.Workload) bool { return w.Released() })
	if !w.IsDeleted || w.Dispatched() {
		t.Errorf("status = %+v deleted=%v", w.Status, w.IsDeleted)
	}
}

func TestQueuedWorkloadFailsWhenItsWorkspaceGoes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	at := time.Now().UTC().Add(2 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	id := e.submit("stuck", "true", func(s *apiv1.WorkloadSpec) { s.CronJobs = []apiv1.CronJob{{Schedule: at, Action: "start"}} })
	e.waitFor(id, "queued with a reason", func(w *workload.Workload) bool { return w.Status.Message != "" })
	if err := e.store.WorkspaceDelete(t.Context(), testWorkspace); err != nil {
		t.Fatal(err)
	}
	e.ctrl.Wake()
	w := e.waitFor(id, "Failed", phaseIs(apiv1.PhaseFailed))
	if !hasMessage(w, "Workspace "+testWorkspace+" not found.") {
		t.Errorf("conditions = %+v", w.Status.Conditions)
	}
}

// TestNodeNotReadyFailsOver: a job whose node turns NotReady fails over to the other
// node; one without retries left stays where it is.
func TestNodeNotReadyFailsOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	whole := func(s *apiv1.WorkloadSpec) { s.Resource.GPU, s.MaxRetry = "8", 1 } // a node each
	id := e.submit("moves", "exec sleep 60", whole)
	pinned := e.submit("stays", "exec sleep 60", func(s *apiv1.WorkloadSpec) { whole(s); s.MaxRetry = 0 })
	running := func(w *workload.Workload) bool {
		return w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Pods) == 1 && w.Status.Pods[0].Phase == workload.PodRunning
	}
	first := e.waitFor(id, "Running", running)
	other := e.waitFor(pinned, "Running", running)
	down := first.Status.Pods[0].Node
	e.setNotReady(down)
	// The other node is full until "stays" ends; stop it once "moves" has failed over.
	e.waitFor(id, "failing over", func(w *workload.Workload) bool { return w.Status.HasCondition(workload.CondFailover, 1) })
	if o := e.waitFor(pinned, "still Running", running); o.Status.DispatchCount != 1 || o.Status.Pods[0].Node != other.Status.Pods[0].Node {
		t.Errorf("%s without retries moved: %+v", pinned, o.Status)
	}
	if err := e.rt.Stop(t.Context(), runtime.RefOf(other), 0); err != nil {
		t.Fatal(err)
	}
	w := e.waitFor(id, "Running again", func(w *workload.Workload) bool { return w.Status.DispatchCount == 2 && running(w) })
	if w.Status.Pods[0].Node == down {
		t.Errorf("%s runs again on %s, which is not Ready", id, down)
	}
}

// TestOrphanPodsAreRemoved: pods the runtime holds for a workload the store does not
// know are stopped and released by a controller that starts leading, and by one that
// leads already, at its next search.
func TestOrphanPodsAreRemoved(t *testing.T) {
	t.Parallel()
	for _, later := range []bool{false, true} {
		e := newEnv(t)
		next := New(Config{Store: e.store, Runtime: e.rt, StopGrace: time.Second, OrphanScan: 50 * time.Millisecond})
		if later {
			if err := next.Cycle(t.Context()); err != nil { // it leads, and found nothing
				t.Fatal(err)
			}
		}
		wantOrphanRemoved(t, e, next)
	}
}

// wantOrphanRemoved starts pods of no workload and runs the controller's cycles
// until they are gone.
func wantOrphanRemoved(t *testing.T, e *env, next *Controller) {
	t.Helper()
	ctx := t.Context()
	req := runtime.StartRequest{WorkloadID: "ghost-x7k2q", Kind: apiv1.KindPyTorchJob, Workspace: testWorkspace,
		Dispatch: 1, Command: "exec sleep 60",
		Pods: []runtime.PodSpec{{PodID: workload.PodID("ghost-x7k2q", apiv1.KindPyTorchJob, 0), Node: "node-1"}}}
	if err := e.rt.Start(ctx, req); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.rt.Stop(context.Background(), req.Ref(), 0) })
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := next.Cycle(ctx); err != nil {
			t.Fatal(err)
		}
		ids, err := e.rt.WorkloadIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ids, req.WorkloadID) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the orphan's pods are still there: %v", ids)
		}
		<-tick.C
	}
}

// TestNodeNotReadyFailsJobWithoutRetries: a job with no retries left on a node that
// turns NotReady fails, saying why, rather than waiting for an eviction that may not come.
func TestNodeNotReadyFailsJobWithoutRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("last-try", "exec sleep 60", nil)
	w := e.waitFor(id, "Running", func(w *workload.Workload) bool {
		return len(w.Status.Pods) == 1 && w.Status.Pods[0].Phase == workload.PodRunning
	})
	down := w.Status.Pods[0].Node
	e.setNotReady(down)
	w = e.waitFor(id, "Failed", phaseIs(apiv1.PhaseFailed))
	if want := "the node " + down + " is not ready"; w.Status.Message != want || w.Status.DispatchCount != 1 {
		t.Errorf("message %q (dispatch %d), want %q (1)", w.Status.Message, w.Status.DispatchCount, want)
	}
}

func TestWaitingMessage(t *testing.T) {
	statuses := []runtime.PodStatus{
		{PodID: "w-master-0", Phase: workload.PodRunning},
		{PodID: "w-worker-0", Phase: workload.PodPending, Reason: "Creating"},
		{PodID: "w-worker-1", Phase: workload.PodPending, Reason: "ImagePullBackOff", Message: `Back-off pulling image "nope:1"`},
	}
	want := `waiting for pod w-worker-1: ImagePullBackOff: Back-off pulling image "nope:1"`
	if got := waitingMessage(statuses); got != want {
		t.Errorf("waitingMessage = %q, want %q", got, want)
	}
	if got := waitingMessage(statuses[:2]); got != "" {
		t.Errorf("waitingMessage without a message = %q, want none", got)
	}
}

// failingStarts is the process runtime with its first starts failing, as a cluster's
// API server may refuse them for a while.
type failingStarts struct {
	runtime.Runtime
	left atomic.Int32
}

func (f *failingStarts) Start(ctx context.Context, req runtime.StartRequest) error {
	if f.left.Add(-1) >= 0 {
		return errors.New("the API server is not ready")
	}
	return f.Runtime.Start(ctx, req)
}

// TestStartRetried: a start that fails is tried again, the workload saying meanwhile
// why it waits; once it starts the message is gone.
func TestStartRetried(t *testing.T) {
	t.Parallel()
	flaky := &failingStarts{}
	flaky.left.Store(3)
	e := newEnvFull(t, nil, func(rt runtime.Runtime) runtime.Runtime { flaky.Runtime = rt; return flaky })
	id := e.submit("retried", "echo ok", nil)
	e.waitFor(id, "saying why it waits", func(w *workload.Workload) bool {
		return w.Status.Message == "waiting to start the pods: the API server is not ready"
	})
	w := e.waitFor(id, "Succeeded", phaseIs(apiv1.PhaseSucceeded))
	if w.Status.DispatchCount != 1 || w.Status.Message != "" {
		t.Errorf("dispatchCount %d, message %q; want 1 and none", w.Status.DispatchCount, w.Status.Message)
	}
}

// setNotReady marks the node NotReady in the store, as a node sync would, and wakes
// the controller.
func (e *env) setNotReady(node string) {
	e.changeNode(node, func(n *inventory.Node) { n.Ready = false })
}

// changeNode changes the stored node and wakes the controller.
func (e *env) changeNode(node string, change func(*inventory.Node)) {
	e.t.Helper()
	n, err := e.store.NodeGet(e.t.Context(), node)
	if err != nil {
		e.t.Fatal(err)
	}
	change(n)
	if err := e.store.NodePut(e.t.Context(), n); err != nil {
		e.t.Fatal(err)
	}
	e.ctrl.Wake()
}
