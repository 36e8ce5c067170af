package runtimetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

func testStartIdempotent(t *testing.T, h *harness) {
	req := h.request(apiv1.KindPyTorchJob, "echo started; exec sleep 60", 2)
	h.start(req)
	for _, p := range req.Pods {
		h.waitLogs(req.Ref(), p.PodID, contains("started"))
	}
	before := h.waitPhase(req, workload.PodRunning)
	if err := h.rt.Start(context.Background(), req); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	after := h.waitPhase(req, workload.PodRunning)
	for i := range after {
		if !after[i].StartTime.Equal(before[i].StartTime) || after[i].Restarts != 0 {
			t.Errorf("pod %s started %v (%d restarts) after the second Start, want %v (0)",
				after[i].PodID, after[i].StartTime, after[i].Restarts, before[i].StartTime)
		}
		if !slices.Equal(after[i].PIDs, before[i].PIDs) {
			t.Errorf("pod %s PIDs %v after the second Start, want %v", after[i].PodID, after[i].PIDs, before[i].PIDs)
		}
	}
	for _, p := range req.Pods {
		if diff := cmp.Diff([]string{"started"}, h.logs(req.Ref(), p.PodID, runtime.LogOptions{})); diff != "" {
			t.Errorf("Logs of %s (-want +got):\n%s", p.PodID, diff)
		}
	}
}

func testRelease(t *testing.T, h *harness) {
	ctx := context.Background()
	req := h.request(apiv1.KindPyTorchJob, "echo hi", 1)
	h.start(req)
	h.waitPhase(req, workload.PodSucceeded)
	pod := req.Pods[0].PodID
	h.logs(req.Ref(), pod, runtime.LogOptions{})
	if err := h.rt.Release(ctx, req.Ref()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	_, err := h.rt.Logs(ctx, req.Ref(), pod, runtime.LogOptions{})
	wantNotFound(t, "Logs after Release", err)
	_, err = h.rt.Containers(ctx, req.Ref(), pod)
	wantNotFound(t, "Containers after Release", err)
	pods, err := h.rt.Status(ctx, req.Ref())
	if err != nil || len(pods) != 0 {
		t.Errorf("Status after Release = %+v, %v; want no pods", pods, err)
	}
	if err := h.rt.Release(ctx, req.Ref()); err != nil {
		t.Errorf("second Release: %v", err)
	}
}

// testPyTorchJobEnv runs a 2-pod PyTorchJob: each pod knows its rank, the world size
// and the same master address and port.
func testPyTorchJobEnv(t *testing.T, h *harness) {
	req := h.request(apiv1.KindPyTorchJob,
		`echo "rank=$RANK world=$WORLD_SIZE addr=$MASTER_ADDR port=$MASTER_PORT pod=$POD_NAME id=$WORKLOAD_ID"`, 2)
	h.start(req)
	pods := h.waitPhase(req, workload.PodSucceeded, workload.PodFailed)
	ports := map[string]bool{}
	for i, p := range pods {
		if p.Phase != workload.PodSucceeded || p.Rank != i {
			t.Errorf("pod %d: %s rank %d, want Succeeded rank %d", i, p.Phase, p.Rank, i)
		}
		lines := h.logs(req.Ref(), p.PodID, runtime.LogOptions{})
		if len(lines) != 1 {
			t.Fatalf("Logs of %s = %q, want one line", p.PodID, lines)
		}
		env := parseVars(lines[0])
		want := map[string]string{"rank": strconv.Itoa(i), "world": "2", "pod": p.PodID, "id": req.WorkloadID}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("pod %s: %s=%q, want %q (line %q)", p.PodID, k, env[k], v, lines[0])
			}
		}
		if env["addr"] == "" || env["port"] == "" {
			t.Errorf("pod %s: no master address or port in %q", p.PodID, lines[0])
		}
		ports[env["port"]] = true
	}
	if len(ports) != 1 {
		t.Errorf("pods saw master ports %v, want one", ports)
	}
}

// testGPUEnv starts a pod with two GPUs on a node of each vendor the runtime offers:
// the pod sees them in its vendor's visible-devices variable, over a value of its own.
func testGPUEnv(t *testing.T, h *harness) {
	done := map[string]bool{}
	for _, n := range h.nodes {
		if !n.Available() || n.Capacity.GPU < 2 || done[n.GPUVendor] {
			continue
		}
		done[n.GPUVendor] = true
		t.Run("vendor="+n.GPUVendor, func(t *testing.T) {
			gpuEnvOn(t, &harness{t: t, rt: h.rt, nodes: h.nodes}, n)
		})
	}
	if len(done) == 0 {
		t.Skip("no node offers two GPUs")
	}
}

func gpuEnvOn(t *testing.T, h *harness, n inventory.Node) {
	req := h.request(apiv1.KindPyTorchJob, `echo "cuda=${CUDA_VISIBLE_DEVICES-unset} hip=${HIP_VISIBLE_DEVICES-unset}"`, 1)
	req.Pods[0].Node = n.Name
	req.Pods[0].GPUs = []int{0, int(n.Capacity.GPU) - 1}
	devices := fmt.Sprintf("0,%d", n.Capacity.GPU-1)
	want := "cuda=" + devices + " hip=unset"
	req.Env["CUDA_VISIBLE_DEVICES"] = "7"
	if n.GPUVendor == "amd" {
		delete(req.Env, "CUDA_VISIBLE_DEVICES")
		req.Env["HIP_VISIBLE_DEVICES"] = "7"
		want = "cuda=unset hip=" + devices
	}
	h.start(req)
	p := h.waitPhase(req, workload.PodSucceeded, workload.PodFailed)[0]
	if p.Phase != workload.PodSucceeded {
		t.Fatalf("pod ended %s reason %q", p.Phase, p.Reason)
	}
	if diff := cmp.Diff([]string{want}, h.logs(req.Ref(), p.PodID, runtime.LogOptions{})); diff != "" {
		t.Errorf("Logs on a %q node (-want +got):\n%s", n.GPUVendor, diff)
	}
}

// parseVars parses "k=v k=v" words.
func parseVars(line string) map[string]string {
	out := map[string]string{}
	for _, w := range strings.Fields(line) {
		if k, v, ok := strings.Cut(w, "="); ok {
			out[k] = v
		}
	}
	return out
}
