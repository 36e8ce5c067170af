package runtimetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// Actor makes pods do what a portable test needs, on runtimes whose pods may not run
// their command at all (kube on KWOK nodes).
type Actor interface {
	// Command is what every pod of a portable test is started with.
	Command(t *testing.T) string
	// Finish ends a running pod of req: its log is lines, its exit code code.
	Finish(t *testing.T, req runtime.StartRequest, pod runtime.PodStatus, lines []string, code int)
}

// Opener makes a runtime for one test, and again makes another on the same state
// (a restarted server).
type Opener func(t *testing.T) (rt runtime.Runtime, again func() runtime.Runtime)

// RunPortable runs the tests every runtime passes, whatever runs its pods: start,
// status, logs, containers, stop, release and adoption by a new runtime.
func RunPortable(t *testing.T, open Opener, actor Actor) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness, again func() runtime.Runtime, a Actor)
	}{
		{"JobLifecycle", testJobLifecycle},
		{"JobFails", testJobFails},
		{"StopService", testStopService},
		{"Adoption", testAdoption},
		{"NotFound", testNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt, again := open(t)
			tc.fn(t, newHarness(t, rt), again, actor)
		})
	}
}

// portableRequest is a dispatch of n pods named as the controller names them, spread
// over the first two nodes.
func (h *harness) portableRequest(kind, command string, n int) runtime.StartRequest {
	req := h.request(kind, command, n)
	req.Spec.Image = "docker.io/library/busybox:1.36"
	for i := range req.Pods {
		req.Pods[i].PodID = workload.PodID(req.WorkloadID, kind, i)
		req.Pods[i].Node = h.nodes[i%min(2, len(h.nodes))].Name
	}
	return req
}

// running starts req and waits until all its pods run, each on its planned node and
// ready (it has no readiness probe).
func (h *harness) running(req runtime.StartRequest) []runtime.PodStatus {
	h.t.Helper()
	h.start(req)
	pods := h.waitPhase(req, workload.PodRunning)
	for _, p := range pods {
		if p.Rank < 0 || p.Rank >= len(req.Pods) || p.Node != req.Pods[p.Rank].Node {
			h.t.Errorf("pod %s (rank %d) runs on %q; planned %+v", p.PodID, p.Rank, p.Node, req.Pods)
		}
		if !p.Ready {
			h.t.Errorf("pod %s runs, without a readiness probe, but is not Ready", p.PodID)
		}
	}
	return pods
}

// testJobLifecycle: a 2-pod job runs on its planned nodes; a second Start changes
// nothing; each pod names its containers; the pods end with their logs and exit
// codes; Release forgets them.
func testJobLifecycle(t *testing.T, h *harness, _ func() runtime.Runtime, a Actor) {
	ctx := context.Background()
	req := h.portableRequest(apiv1.KindPyTorchJob, a.Command(t), 2)
	before := h.running(req)
	if err := h.rt.Start(ctx, req); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	after := h.waitPhase(req, workload.PodRunning)
	for i := range after {
		if after[i].PodID != before[i].PodID || !after[i].StartTime.Equal(before[i].StartTime) || after[i].Restarts != 0 {
			t.Errorf("after a second Start pod %d is %+v, was %+v", i, after[i], before[i])
		}
		names, err := h.rt.Containers(ctx, req.Ref(), after[i].PodID)
		if err != nil || !slices.Contains(names, "pytorch") {
			t.Errorf("Containers(%s) = %v, %v; want pytorch among them", after[i].PodID, names, err)
		}
	}
	lines := []string{"epoch 1 loss 0.9", "epoch 2 loss 0.5"}
	for _, p := range after {
		a.Finish(t, req, p, lines, 0)
	}
	for _, p := range h.waitPhase(req, workload.PodSucceeded) {
		if p.ExitCode != 0 || p.EndTime.IsZero() {
			t.Errorf("pod %s ended with exit code %d at %v, want 0 and an end time", p.PodID, p.ExitCode, p.EndTime)
		}
		got := h.waitLogs(req.Ref(), p.PodID, func(l []string) bool { return len(l) == len(lines) })
		if diff := cmp.Diff(lines, got); diff != "" {
			t.Errorf("Logs of %s (-want +got):\n%s", p.PodID, diff)
		}
		if tail := h.logs(req.Ref(), p.PodID, runtime.LogOptions{TailLines: 1}); !slices.Equal(tail, lines[1:]) {
			t.Errorf("Logs of %s, tail 1 = %q, want %q", p.PodID, tail, lines[1:])
		}
	}
	if err := h.rt.Release(ctx, req.Ref()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	h.waitPods("no pods after Release", req.Ref(), func(p []runtime.PodStatus) bool { return len(p) == 0 })
	_, err := h.rt.Logs(ctx, req.Ref(), after[0].PodID, runtime.LogOptions{})
	wantNotFound(t, "Logs after Release", err)
}

// testJobFails: a pod that exits 3 is Failed with exit code 3.
func testJobFails(t *testing.T, h *harness, _ func() runtime.Runtime, a Actor) {
	req := h.portableRequest(apiv1.KindPyTorchJob, a.Command(t), 1)
	pod := h.running(req)[0]
	a.Finish(t, req, pod, []string{"out of memory"}, 3)
	if got := h.waitPhase(req, workload.PodFailed)[0]; got.ExitCode != 3 {
		t.Errorf("the pod failed with exit code %d, want 3 (%+v)", got.ExitCode, got)
	}
}

// testStopService: Stop ends every pod of a running service.
func testStopService(t *testing.T, h *harness, _ func() runtime.Runtime, a Actor) {
	req := h.portableRequest(apiv1.KindDeployment, a.Command(t), 2)
	req.RestartAlways = true
	h.running(req)
	h.stopAll(req.Ref())
}

// testAdoption: a new runtime on the same state sees the pods a former one started.
func testAdoption(t *testing.T, h *harness, again func() runtime.Runtime, a Actor) {
	req := h.portableRequest(apiv1.KindPyTorchJob, a.Command(t), 2)
	pods := h.running(req)
	next := &harness{t: t, rt: again(), nodes: h.nodes}
	adopted := next.waitPhase(req, workload.PodRunning)
	for i := range adopted {
		if adopted[i].PodID != pods[i].PodID || adopted[i].Node != pods[i].Node || !adopted[i].StartTime.Equal(pods[i].StartTime) {
			t.Errorf("the new runtime sees pod %d as %+v, want %+v", i, adopted[i], pods[i])
		}
	}
	a.Finish(t, req, adopted[0], []string{"done"}, 0)
	a.Finish(t, req, adopted[1], []string{"done"}, 0)
	next.waitPhase(req, workload.PodSucceeded)
}

// testNotFound: logs and containers of a pod no runtime started are not found.
func testNotFound(t *testing.T, h *harness, _ func() runtime.Runtime, _ Actor) {
	ctx := context.Background()
	ref := runtime.Ref{WorkloadID: "no-such-workload", Cluster: Cluster, Workspace: "default", Dispatch: 1}
	_, err := h.rt.Logs(ctx, ref, "no-such-workload-master-0", runtime.LogOptions{})
	wantNotFound(t, "Logs of an unknown pod", err)
	_, err = h.rt.Containers(ctx, ref, "no-such-workload-master-0")
	wantNotFound(t, "Containers of an unknown pod", err)
	pods, err := h.rt.Status(ctx, ref)
	if err != nil || len(pods) != 0 {
		t.Errorf("Status of an unknown workload = %+v, %v; want none", pods, err)
	}
}

// CommandActor ends pods of runtimes that run their command: each pod waits for a
// file named after it in a directory of the test's, then prints the lines left there
// and exits with the code.
type CommandActor struct{}

// gateDir is where a test's pods wait for their end; one per test.
func gateDir(t *testing.T) string {
	dir := filepath.Join(os.TempDir(), "runtimetest-"+strconv.Itoa(os.Getpid()), strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Command waits for $POD_NAME.code in the gate directory, prints $POD_NAME.out and
// exits with the code.
func (CommandActor) Command(t *testing.T) string {
	dir := gateDir(t)
	t.Cleanup(func() {
		os.RemoveAll(dir)
		os.Remove(filepath.Dir(dir)) // the process's, once its last test is done
	})
	return fmt.Sprintf(`d=%q; while [ ! -e "$d/$POD_NAME.code" ]; do sleep 0.02; done; cat "$d/$POD_NAME.out"; exit "$(cat "$d/$POD_NAME.code")"`, dir)
}

// Finish writes the pod's output, then its exit code, which ends its wait.
func (CommandActor) Finish(t *testing.T, _ runtime.StartRequest, pod runtime.PodStatus, lines []string, code int) {
	t.Helper()
	dir := gateDir(t)
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, pod.PodID+".out"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, pod.PodID+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(code)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, pod.PodID+".code")); err != nil {
		t.Fatal(err)
	}
}
