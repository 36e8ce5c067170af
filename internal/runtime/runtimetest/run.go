package runtimetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

func testSucceeded(t *testing.T, h *harness) {
	req := h.request(apiv1.KindPyTorchJob, "echo hello; echo world", 1)
	h.start(req)
	pods := h.waitPhase(req, workload.PodSucceeded, workload.PodFailed)
	p := pods[0]
	if p.Phase != workload.PodSucceeded || p.ExitCode != 0 || p.Reason != "Completed" {
		t.Errorf("pod ended %s exit %d reason %q (%s), want Succeeded exit 0 reason Completed", p.Phase, p.ExitCode, p.Reason, p.Message)
	}
	if p.PodID != req.Pods[0].PodID || p.Rank != 0 || p.Node != req.Pods[0].Node {
		t.Errorf("pod = %s rank %d on %q, want %s rank 0 on %q", p.PodID, p.Rank, p.Node, req.Pods[0].PodID, req.Pods[0].Node)
	}
	if p.StartTime.IsZero() || p.EndTime.Before(p.StartTime) {
		t.Errorf("pod ran from %v to %v, want a start and an end after it", p.StartTime, p.EndTime)
	}
	if p.HostIP == "" || p.PodIP == "" {
		t.Errorf("HostIP %q PodIP %q, want both", p.HostIP, p.PodIP)
	}
	got := h.logs(req.Ref(), p.PodID, runtime.LogOptions{})
	if diff := cmp.Diff([]string{"hello", "world"}, got); diff != "" {
		t.Errorf("Logs (-want +got):\n%s", diff)
	}
}

func testFailed(t *testing.T, h *harness) {
	req := h.request(apiv1.KindPyTorchJob, "echo oops >&2; exit 3", 1)
	h.start(req)
	p := h.waitPhase(req, workload.PodSucceeded, workload.PodFailed)[0]
	if p.Phase != workload.PodFailed || p.ExitCode != 3 || p.Reason != "Error" {
		t.Errorf("pod ended %s exit %d reason %q, want Failed exit 3 reason Error", p.Phase, p.ExitCode, p.Reason)
	}
	if got := h.logs(req.Ref(), p.PodID, runtime.LogOptions{}); !slices.Contains(got, "oops") {
		t.Errorf("Logs = %q, want stderr's oops", got)
	}
}

func testLogsTail(t *testing.T, h *harness) {
	req := h.request(apiv1.KindPyTorchJob, "for i in 1 2 3 4 5; do echo line$i; done", 1)
	h.start(req)
	pod := req.Pods[0].PodID
	h.waitPhase(req, workload.PodSucceeded)
	for _, tc := range []struct {
		opts runtime.LogOptions
		want []string
	}{
		{runtime.LogOptions{}, []string{"line1", "line2", "line3", "line4", "line5"}},
		{runtime.LogOptions{TailLines: 2}, []string{"line4", "line5"}},
		{runtime.LogOptions{TailLines: 10}, []string{"line1", "line2", "line3", "line4", "line5"}},
		{runtime.LogOptions{TailLines: 1, SinceSeconds: 3600}, []string{"line5"}},
		{runtime.LogOptions{Container: "pytorch", TailLines: 1}, []string{"line5"}},
	} {
		if diff := cmp.Diff(tc.want, h.logs(req.Ref(), pod, tc.opts)); diff != "" {
			t.Errorf("Logs(%+v) (-want +got):\n%s", tc.opts, diff)
		}
	}
}

func testLogsSince(t *testing.T, h *harness) {
	req := h.request(apiv1.KindPyTorchJob, "echo old; sleep 5; echo new", 1)
	h.start(req)
	pod := req.Pods[0].PodID
	h.waitLogs(req.Ref(), pod, contains("new"))
	// "old" is at least 5s old now; "new" a moment.
	got := h.logs(req.Ref(), pod, runtime.LogOptions{SinceSeconds: 3})
	if diff := cmp.Diff([]string{"new"}, got); diff != "" {
		t.Errorf("Logs(SinceSeconds 3) (-want +got):\n%s", diff)
	}
}

func testLogsNotFound(t *testing.T, h *harness) {
	req := h.request(apiv1.KindPyTorchJob, "echo hi", 1)
	h.start(req)
	h.waitPhase(req, workload.PodSucceeded)
	ctx := context.Background()
	_, err := h.rt.Logs(ctx, req.Ref(), req.WorkloadID+"-9", runtime.LogOptions{})
	wantNotFound(t, "Logs of an unknown pod", err)
	_, err = h.rt.Logs(ctx, stranger(req.Ref()), req.Pods[0].PodID, runtime.LogOptions{})
	wantNotFound(t, "Logs of an unknown workload", err)
	_, err = h.rt.Logs(ctx, req.Ref(), req.Pods[0].PodID, runtime.LogOptions{Container: "nosuch"})
	wantNotFound(t, "Logs of an unknown container", err)
}

func testContainers(t *testing.T, h *harness) {
	ctx := context.Background()
	job := h.request(apiv1.KindPyTorchJob, "echo hi", 1)
	h.start(job)
	svc := h.request(apiv1.KindDeployment, "exec sleep 60", 1)
	svc.RestartAlways = true
	h.start(svc)
	for _, tc := range []struct {
		req  runtime.StartRequest
		want []string
	}{
		{job, []string{"pytorch"}},
		{svc, []string{"main"}},
	} {
		got, err := h.rt.Containers(ctx, tc.req.Ref(), tc.req.Pods[0].PodID)
		if err != nil {
			t.Fatalf("Containers(%s): %v", tc.req.Kind, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Containers(%s) (-want +got):\n%s", tc.req.Kind, diff)
		}
	}
	_, err := h.rt.Containers(ctx, job.Ref(), job.WorkloadID+"-9")
	wantNotFound(t, "Containers of an unknown pod", err)
	_, err = h.rt.Containers(ctx, stranger(job.Ref()), job.Pods[0].PodID)
	wantNotFound(t, "Containers of an unknown workload", err)
}

// testStopGraceful stops a pod that exits on SIGTERM: it ends with its own exit code
// long before the grace period.
func testStopGraceful(t *testing.T, h *harness) {
	req := h.request(apiv1.KindPyTorchJob, "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.2; done", 1)
	h.start(req)
	h.waitPhase(req, workload.PodRunning)
	h.waitLogs(req.Ref(), req.Pods[0].PodID, contains("ready"))
	if err := h.rt.Stop(context.Background(), req.Ref(), time.Hour); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	p := h.waitPhase(req, workload.PodSucceeded, workload.PodFailed)[0]
	if p.Phase != workload.PodSucceeded || p.ExitCode != 0 {
		t.Errorf("pod ended %s exit %d reason %q, want Succeeded exit 0", p.Phase, p.ExitCode, p.Reason)
	}
	h.waitLogs(req.Ref(), req.Pods[0].PodID, contains("bye"))
}

// testStopKillsAfterGrace stops a pod that ignores SIGTERM: it gets the signal at
// once, keeps running, and is killed by a Stop after the grace period.
func testStopKillsAfterGrace(t *testing.T, h *harness) {
	const grace = 2 * time.Second
	req := h.request(apiv1.KindPyTorchJob, "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.2; done", 1)
	h.start(req)
	pod := req.Pods[0].PodID
	h.waitPhase(req, workload.PodRunning)
	h.waitLogs(req.Ref(), pod, contains("ready"))
	ctx := context.Background()
	first := time.Now()
	if err := h.rt.Stop(ctx, req.Ref(), grace); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	h.waitLogs(req.Ref(), pod, contains("got-term"))
	p := h.waitPods("the pod killed", req.Ref(), func(pods []runtime.PodStatus) bool {
		if err := h.rt.Stop(ctx, req.Ref(), grace); err != nil {
			t.Errorf("Stop: %v", err)
		}
		return len(pods) == 1 && !pods[0].Live()
	})[0]
	if elapsed := time.Since(first); elapsed < grace {
		t.Errorf("pod ended %v after the first Stop, before the grace period of %v", elapsed, grace)
	}
	if p.Phase != workload.PodFailed {
		t.Errorf("pod ended %s reason %q, want Failed", p.Phase, p.Reason)
	}
}
