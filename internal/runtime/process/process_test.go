package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/runtimetest"
	"github.com/berth-dev/berth/internal/workload"
)

// TestMain lets the test binary serve as the pod shim, as `berth pod-shim` does.
// Started as `<test binary> net-probe HOST sandboxed|loopback`, it is the pods' side
// of TestPodNetwork and TestLoopbackPodIPs.
func TestMain(m *testing.M) {
	os.Exit(ShimOrRun(func() int {
		if len(os.Args) == 4 && os.Args[1] == netProbeCommand {
			return netProbe(os.Args[2], os.Args[3] == "sandboxed")
		}
		if len(os.Args) == 4 && os.Args[1] == localhostCommand {
			return localhostProbe(os.Args[2], os.Args[3])
		}
		if len(os.Args) == 3 && os.Args[1] == udpNameCommand {
			return udpName(os.Args[2])
		}
		return m.Run()
	}))
}

// testNodes are two nvidia nodes and an amd one, four GPUs each.
func testNodes() []inventory.Node {
	per := resource.List{MilliCPU: 8000, Memory: 16 << 30, GPU: 4, EphemeralStorage: 100 << 30}
	nodes := VirtualNodes(3, per, "nvidia")
	nodes[2].GPUVendor = "amd"
	return nodes
}

func newRuntime(t *testing.T, dataDir string) *Runtime {
	t.Helper()
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(Config{DataDir: dataDir, Nodes: testNodes(), ShimCommand: []string{self, "pod-shim"}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { removeSandbox(t, rt) })
	return rt
}

func TestConformance(t *testing.T) {
	t.Parallel()
	runtimetest.Run(t, func(t *testing.T) runtime.Runtime { return newRuntime(t, t.TempDir()) })
}

// TestPortableConformance runs the part of the suite the kube runtime runs too.
func TestPortableConformance(t *testing.T) {
	t.Parallel()
	runtimetest.RunPortable(t, func(t *testing.T) (runtime.Runtime, func() runtime.Runtime) {
		dir := t.TempDir()
		return newRuntime(t, dir), func() runtime.Runtime { return newRuntime(t, dir) }
	}, runtimetest.CommandActor{})
}

// request is a one-dispatch workload of n pods on node-1.
func request(id, kind, command string, n int) runtime.StartRequest {
	req := runtime.StartRequest{WorkloadID: id, Kind: kind, Dispatch: 1, Command: command}
	for rank := range n {
		req.Pods = append(req.Pods, runtime.PodSpec{PodID: id + "-" + string(rune('0'+rank)), Rank: rank, Node: "node-1"})
	}
	return req
}

// waitPods polls Status until ok holds, failing the test after a deadline.
func waitPods(t *testing.T, rt *Runtime, req runtime.StartRequest, ok func([]runtime.PodStatus) bool) []runtime.PodStatus {
	t.Helper()
	var pods []runtime.PodStatus
	waitFor(t, rt, "pods of "+req.WorkloadID, func() bool {
		var err error
		pods, err = rt.Status(context.Background(), req.Ref())
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		return len(pods) == len(req.Pods) && ok(pods)
	}, func() any { return pods })
	return pods
}

func waitFor(t *testing.T, rt *Runtime, what string, done func() bool, last func() any) {
	t.Helper()
	deadline := time.NewTimer(runtimetest.WaitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !done() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; last: %+v", what, last())
		case <-tick.C:
		case <-rt.Changed():
		}
	}
}

func allPhase(phase string) func([]runtime.PodStatus) bool {
	return func(pods []runtime.PodStatus) bool {
		return !slices.ContainsFunc(pods, func(p runtime.PodStatus) bool { return p.Phase != phase })
	}
}

func noneLive(pods []runtime.PodStatus) bool {
	return !slices.ContainsFunc(pods, runtime.PodStatus.Live)
}

// stopAll stops the workload at the end of a test, killing at once.
func stopAll(t *testing.T, rt *Runtime, req runtime.StartRequest) {
	t.Cleanup(func() {
		waitPods(t, rt, req, func(pods []runtime.PodStatus) bool {
			_ = rt.Stop(context.Background(), req.Ref(), 0)
			return noneLive(pods)
		})
	})
}

// gone reports whether no process has the pid any more.
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestAdoptAfterRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	first := newRuntime(t, dir)
	req := request("adopt", apiv1.KindPyTorchJob, "sleep 60; echo done", 2)
	if err := first.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, first, req)
	// The shim, sh and sleep: the pods are running their command.
	before := waitPods(t, first, req, func(pods []runtime.PodStatus) bool {
		return allPhase(workload.PodRunning)(pods) &&
			!slices.ContainsFunc(pods, func(p runtime.PodStatus) bool { return len(p.PIDs) != 3 })
	})

	second := newRuntime(t, dir)
	after := waitPods(t, second, req, allPhase(workload.PodRunning))
	var pids []int
	for i := range after {
		if !after[i].StartTime.Equal(before[i].StartTime) || !slices.Equal(after[i].PIDs, before[i].PIDs) {
			t.Errorf("adopted pod %+v, want %+v", after[i], before[i])
		}
		pids = append(pids, after[i].PIDs...)
	}
	// The second runtime stops them and sees them end, with nothing in memory.
	waitPods(t, second, req, func(pods []runtime.PodStatus) bool {
		if err := second.Stop(ctx, req.Ref(), time.Hour); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		return noneLive(pods)
	})
	waitFor(t, second, "the pods' processes to go", func() bool {
		return !slices.ContainsFunc(pids, func(pid int) bool { return !gone(pid) })
	}, func() any { return pids })
}

func TestRestartAlways(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	req := request("svc", apiv1.KindDeployment, "echo run", 1)
	req.RestartAlways = true
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	pods := waitPods(t, rt, req, func(pods []runtime.PodStatus) bool { return pods[0].Restarts >= 1 })
	if !pods[0].Live() {
		t.Errorf("restarting pod %+v, want it live", pods[0])
	}
	waitFor(t, rt, "two runs in the log", func() bool {
		lines, err := rt.Logs(context.Background(), req.Ref(), req.Pods[0].PodID, runtime.LogOptions{})
		return err == nil && len(lines) >= 2
	}, func() any { return pods })
}

func TestPodKilledOutsideRuntime(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	req := request("killed", apiv1.KindPyTorchJob, "exec sleep 60", 1)
	if err := rt.Start(context.Background(), req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	shim, ok := readPid(filepath.Join(rt.dispatchDir(req.WorkloadID, 1), req.Pods[0].PodID))
	if !ok {
		t.Fatal("no pid file")
	}
	if err := syscall.Kill(-shim.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	p := waitPods(t, rt, req, noneLive)[0]
	if p.Phase != workload.PodFailed || p.Reason != "Killed" || p.Message != msgDisappeared {
		t.Errorf("killed pod %+v, want Failed, Killed, %q", p, msgDisappeared)
	}
}

func TestReleaseRefusesLivePods(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	ctx := context.Background()
	req := request("live", apiv1.KindPyTorchJob, "exec sleep 60", 1)
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopAll(t, rt, req)
	waitPods(t, rt, req, allPhase(workload.PodRunning))
	if err := rt.Release(ctx, req.Ref()); err == nil {
		t.Fatal("Release of a running workload succeeded")
	}
	if _, err := rt.Logs(ctx, req.Ref(), req.Pods[0].PodID, runtime.LogOptions{}); err != nil {
		t.Errorf("Logs after a refused Release: %v", err)
	}
}

func TestStartRejectsBadNames(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	for _, req := range []runtime.StartRequest{
		request("../x", apiv1.KindPyTorchJob, "true", 1),
		{WorkloadID: "ok", Pods: []runtime.PodSpec{{PodID: "a/b"}}},
		{WorkloadID: "ok", Pods: []runtime.PodSpec{{PodID: ".."}}},
	} {
		if err := rt.Start(context.Background(), req); err == nil {
			t.Errorf("Start(%q, %q) succeeded", req.WorkloadID, req.Pods[0].PodID)
		}
	}
}

func TestHostNode(t *testing.T) {
	t.Parallel()
	n := HostNodeAt("here", t.TempDir())
	if n.Capacity.MilliCPU <= 0 || n.Capacity.Memory <= 0 || n.Capacity.EphemeralStorage <= 0 {
		t.Errorf("HostNode capacity %+v, want cpu, memory and storage", n.Capacity)
	}
	if !n.Available() || n.Name != "here" || n.Labels["kubernetes.io/hostname"] != "here" || n.PrivateIP != "127.0.0.1" {
		t.Errorf("HostNode = %+v", n)
	}
}

func TestVirtualNodes(t *testing.T) {
	t.Parallel()
	nodes := VirtualNodes(2, resource.List{GPU: 8}, "amd")
	for i, want := range []string{"node-1", "node-2"} {
		n := nodes[i]
		if n.Name != want || n.Labels["kubernetes.io/hostname"] != want || !n.Ready || n.Capacity.GPU != 8 || n.GPUVendor != "amd" {
			t.Errorf("node %d = %+v", i, n)
		}
	}
}
