package opsjobs

import (
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/controller"
	"github.com/berth-dev/berth/internal/executor"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
	"github.com/berth-dev/berth/internal/store/sqlite"
	"github.com/berth-dev/berth/internal/workload"
)

// TestMain lets the test binary serve as the pod shim of the process runtime.
func TestMain(m *testing.M) { os.Exit(process.ShimOrRun(m.Run)) }

const testWorkspace = "ws"

// env is a runner and a controller over a real SQLite store and the process runtime
// with n virtual nodes (node-1...) of 8 GPUs; scripts run on nodes with the real
// local executor.
type env struct {
	t     *testing.T
	dir   string
	store *sqlite.Store
	rt    *process.Runtime
	cfg   Config
	stop  func() // stops the runner
}

// nodeExec runs scripts on this host with the real local executor, telling each
// script its node in $NODE; while <dir>/down exists every node is unreachable, as a
// rebooting machine is.
type nodeExec struct{ dir string }

func (e nodeExec) Run(ctx context.Context, t executor.Target, script string) (executor.Result, error) {
	if _, err := os.Stat(filepath.Join(e.dir, "down")); err == nil {
		return executor.Result{}, executor.ErrUnreachable
	}
	return executor.Local{}.Run(ctx, t, "NODE="+t.Node+"; export NODE\n"+script)
}

type localTargets struct{}

func (localTargets) Target(_ context.Context, id string) (executor.Target, error) {
	return executor.Target{Node: id}, nil
}

func newEnv(t *testing.T, nodes int, mutate func(*Config)) *env {
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
	vnodes := process.VirtualNodes(nodes, per, "nvidia")
	rt, err := process.New(process.Config{DataDir: dir, Nodes: vnodes, ShimCommand: []string{exe, "pod-shim"}})
	if err != nil {
		t.Fatal(err)
	}
	// Runs after the controller stopped (cleanups run last first).
	t.Cleanup(func() { runtimetest.ReleaseAll(t, rt) })
	if err := st.WorkspaceInsert(ctx, &inventory.Workspace{ID: testWorkspace, QueuePolicy: apiv1.QueuePolicyFIFO}); err != nil {
		t.Fatal(err)
	}
	for _, n := range vnodes {
		n.Workspace, n.Ready = testWorkspace, true
		if err := st.NodePut(ctx, &n); err != nil {
			t.Fatal(err)
		}
	}
	ctrl := controller.New(controller.Config{Store: st, Runtime: rt, Log: slog.New(slog.DiscardHandler), Interval: 50 * time.Millisecond, StopGrace: time.Second})
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ctrl.Run(runCtx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	e := &env{t: t, dir: dir, store: st, rt: rt}
	e.cfg = Config{Store: st, Runtime: rt, Executor: nodeExec{dir: dir}, Targets: localTargets{},
		ArtifactDir: filepath.Join(dir, "artifacts"), Interval: 50 * time.Millisecond,
		Log: slog.New(slog.DiscardHandler)}
	if mutate != nil {
		mutate(&e.cfg)
	}
	e.start()
	return e
}

// start runs a fresh Runner over the env's store; stop ends it and waits.
func (e *env) start() {
	r := New(e.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	e.stop = func() {
		cancel()
		<-done
	}
	e.t.Cleanup(func() { e.stop() })
}

// insertJob stores a job of the type as the API would.
func (e *env) insertJob(typ string, mutate func(j *opsjob.Job)) string {
	e.t.Helper()
	j := &opsjob.Job{
		ID: strings.ToLower(typ) + "-" + workload.NewID("job")[4:], Name: typ, Type: typ,
		UserID: "u1", UserName: "tester", Workspace: testWorkspace, AvailableRatio: 1,
		CreationTime: time.Now().UTC(), Status: opsjob.Status{Phase: apiv1.OpsJobPending},
	}
	if mutate != nil {
		mutate(j)
	}
	if err := e.store.OpsJobInsert(e.t.Context(), j); err != nil {
		e.t.Fatal(err)
	}
	return j.ID
}

// waitJob polls the job until cond holds, failing the test after 30 s.
func (e *env) waitJob(id, what string, cond func(*opsjob.Job) bool) *opsjob.Job {
	e.t.Helper()
	var j *opsjob.Job
	var err error
	poll(e.t, what, func() bool {
		j, err = e.store.OpsJobGet(e.t.Context(), id)
		return err == nil && cond(j)
	}, func() string { return describe(j, err) })
	return j
}

func (e *env) waitEnded(id string) *opsjob.Job {
	return e.waitJob(id, "ended", (*opsjob.Job).Ended)
}

// poll calls cond every 20 ms until it holds, failing the test after 30 s.
func poll(t *testing.T, what string, cond func() bool, last func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		<-tick.C
	}
	t.Fatalf("never %s; last: %s", what, last())
}

func describe(j *opsjob.Job, err error) string {
	if err != nil {
		return err.Error()
	}
	if j == nil {
		return "<nil>"
	}
	return strings.Join([]string{j.Status.Phase, condMessage(j), fmtNodes(j.Status.Nodes)}, " | ")
}

func condMessage(j *opsjob.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Type == opsjob.CondCompleted {
			return c.Message
		}
	}
	return ""
}

func fmtNodes(ps []opsjob.NodeProgress) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Node+"="+p.Phase+"("+p.Message+")")
	}
	return strings.Join(out, ", ")
}

// submit stores a workload as the API would; the controller runs it.
func (e *env) submit(name, script string, mutate func(*apiv1.WorkloadSpec)) string {
	e.t.Helper()
	req := &apiv1.CreateWorkloadRequest{
		DisplayName: name, WorkspaceID: testWorkspace,
		WorkloadSpec: apiv1.WorkloadSpec{Image: "none", EntryPoint: script,
			Resource: apiv1.WorkloadResource{Replica: 1, CPU: "1", Memory: "1Gi"}},
	}
	if mutate != nil {
		mutate(&req.WorkloadSpec)
	}
	workload.ApplyCreateDefaults(req)
	if fe := workload.ValidateCreate(req, time.Now()); len(fe) > 0 {
		e.t.Fatalf("invalid test workload: %v", fe)
	}
	w := &workload.Workload{ID: workload.NewID(name), DisplayName: name, UserName: "tester",
		Spec: req.WorkloadSpec, CreationTime: time.Now().UTC(), Status: workload.Status{Phase: apiv1.PhasePending}}
	if err := e.store.WorkloadInsert(e.t.Context(), w); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.rt.Stop(context.Background(), runtime.RefOf(w), 0) })
	return w.ID
}

// waitWorkload polls a workload until cond holds.
func (e *env) waitWorkload(id, what string, cond func(*workload.Workload) bool) *workload.Workload {
	e.t.Helper()
	var w *workload.Workload
	var err error
	poll(e.t, what, func() bool {
		w, err = e.store.WorkloadGetAny(e.t.Context(), id)
		return err == nil && cond(w)
	}, func() string {
		if err != nil {
			return err.Error()
		}
		return w.Status.Phase + " " + w.Status.Message
	})
	return w
}

// template stores an addon template running script.
func (e *env) template(id, script string, mutate func(*opsjob.AddonTemplate)) {
	e.t.Helper()
	tpl := &opsjob.AddonTemplate{ID: id, Name: id, Type: "default",
		Action: base64.StdEncoding.EncodeToString([]byte(script)), CreationTime: time.Now().UTC()}
	if mutate != nil {
		mutate(tpl)
	}
	if err := e.store.AddonTemplateInsert(e.t.Context(), tpl); err != nil {
		e.t.Fatal(err)
	}
}

// node reads a node.
func (e *env) node(id string) *inventory.Node {
	e.t.Helper()
	n, err := e.store.NodeGet(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func tainted(n *inventory.Node, monitor string) bool {
	return slices.ContainsFunc(n.Taints, func(t apiv1.Taint) bool { return t.Key == "berth.io/"+monitor })
}

func nodeInputs(ids ...string) []apiv1.Parameter {
	var out []apiv1.Parameter
	for _, id := range ids {
		out = append(out, apiv1.Parameter{Name: apiv1.InputNode, Value: id})
	}
	return out
}
