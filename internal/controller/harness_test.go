package controller

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/workload"
)

// TestMain lets the test binary serve as the pod shim of the process runtime.
func TestMain(m *testing.M) { os.Exit(process.ShimOrRun(m.Run)) }

const testWorkspace = "ws"

// env is a controller running over a real SQLite store and the process runtime with
// two virtual nodes of 8 GPUs.
type env struct {
	t     *testing.T
	store store.Store
	rt    *process.Runtime
	ctrl  *Controller
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// newEnvWith lets the test shape the workspace.
func newEnvWith(t *testing.T, mutate func(*inventory.Workspace)) *env {
	return newEnvFull(t, mutate, nil)
}

// newEnvFull also lets the test wrap the runtime the controller drives.
func newEnvFull(t *testing.T, mutate func(*inventory.Workspace), wrap func(runtime.Runtime) runtime.Runtime) *env {
	t.Helper()
	return newEnvConfig(t, mutate, wrap, nil)
}

// newEnvConfig also lets the test change the controller's configuration.
func newEnvConfig(t *testing.T, mutate func(*inventory.Workspace), wrap func(runtime.Runtime) runtime.Runtime,
	configure func(*Config)) *env {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	per := resource.List{MilliCPU: 16000, Memory: 64 << 30, GPU: 8, EphemeralStorage: 100 << 30}
	nodes := process.VirtualNodes(2, per, "nvidia")
	rt, err := process.New(process.Config{DataDir: dir, Nodes: nodes, ShimCommand: []string{exe, "pod-shim"}})
	if err != nil {
		t.Fatal(err)
	}
	// Runs after the controller stopped (cleanups run last first).
	t.Cleanup(func() { runtimetest.ReleaseAll(t, rt) })
	ws := &inventory.Workspace{ID: testWorkspace, QueuePolicy: apiv1.QueuePolicyFIFO}
	if mutate != nil {
		mutate(ws)
	}
	if err := st.WorkspaceInsert(ctx, ws); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		n.Workspace = testWorkspace
		if err := st.NodePut(ctx, &n); err != nil {
			t.Fatal(err)
		}
	}
	var driven runtime.Runtime = rt
	if wrap != nil {
		driven = wrap(rt)
	}
	cfg := Config{Store: st, Runtime: driven, Interval: 50 * time.Millisecond, StopGrace: time.Second}
	if configure != nil {
		configure(&cfg)
	}
	ctrl := New(cfg)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ctrl.Run(runCtx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &env{t: t, store: st, rt: rt, ctrl: ctrl}
}

// submit stores a workload as the API would and wakes the controller.
func (e *env) submit(name, script string, mutate func(*apiv1.WorkloadSpec)) string {
	e.t.Helper()
	return e.submitRaw(name, script, mutate, nil)
}

// submitRaw is submit with raw changing the spec after its defaults, as no request
// could (a dev machine running another command than its own).
func (e *env) submitRaw(name, script string, mutate, raw func(*apiv1.WorkloadSpec)) string {
	e.t.Helper()
	req := &apiv1.CreateWorkloadRequest{
		DisplayName: name,
		WorkspaceID: testWorkspace,
		WorkloadSpec: apiv1.WorkloadSpec{
			Image: "none", EntryPoint: script,
			Resource: apiv1.WorkloadResource{Replica: 1, CPU: "1", Memory: "1Gi"},
		},
	}
	if mutate != nil {
		mutate(&req.WorkloadSpec)
	}
	workload.ApplyCreateDefaults(req)
	if fe := workload.ValidateCreate(req, time.Now()); len(fe) > 0 {
		e.t.Fatalf("invalid test workload: %v", fe)
	}
	if raw != nil {
		raw(&req.WorkloadSpec)
	}
	w := &workload.Workload{
		ID: workload.NewID(name), DisplayName: name, UserName: "tester", Spec: req.WorkloadSpec,
		CreationTime: time.Now().UTC(), Status: workload.Status{Phase: apiv1.PhasePending},
	}
	if err := e.store.WorkloadInsert(e.t.Context(), w); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.rt.Stop(context.Background(), runtime.RefOf(w), 0) })
	e.ctrl.Wake()
	return w.ID
}

// waitFor polls the workload until cond holds, failing the test after 20 s.
func (e *env) waitFor(id string, what string, cond func(*workload.Workload) bool) *workload.Workload {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var w *workload.Workload
	var err error
	for time.Now().Before(deadline) {
		if w, err = e.store.WorkloadGetAny(e.t.Context(), id); err == nil && cond(w) {
			return w
		}
		<-tick.C
	}
	e.t.Fatalf("workload %s never became %s; last: %+v (err %v)", id, what, w, err)
	return nil
}

func phaseIs(phase string) func(*workload.Workload) bool {
	return func(w *workload.Workload) bool { return w.Status.Phase == phase }
}
