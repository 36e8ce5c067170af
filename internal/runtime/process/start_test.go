package process

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestShimStartError: a shim that cannot start leaves a failed pod that says why.
func TestShimStartError(t *testing.T) {
	t.Parallel()
	rt, err := New(Config{DataDir: t.TempDir(), Nodes: testNodes(), ShimCommand: []string{"/nonexistent/berth", "pod-shim"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeSandbox(t, rt) })
	req := request("noshim", apiv1.KindPyTorchJob, "true", 1)
	if err := rt.Start(context.Background(), req); err == nil {
		t.Fatal("Start with a missing shim succeeded")
	}
	pods, err := rt.Status(context.Background(), req.Ref())
	if err != nil || len(pods) != 1 || pods[0].Phase != workload.PodFailed || pods[0].Reason != "StartError" {
		t.Errorf("Status = %+v, %v; want one Failed pod with reason StartError", pods, err)
	}
}

// TestLogsNewestDispatch: Logs reads the newest dispatch that has the pod.
func TestLogsNewestDispatch(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	ctx := context.Background()
	for d, cmd := range map[int]string{1: "echo first", 2: "echo second"} {
		req := request("redo", apiv1.KindPyTorchJob, cmd, 1)
		req.Dispatch = d
		if err := rt.Start(ctx, req); err != nil {
			t.Fatalf("Start: %v", err)
		}
		waitPods(t, rt, req, allPhase(workload.PodSucceeded))
	}
	got, err := rt.Logs(ctx, runtime.Ref{WorkloadID: "redo"}, "redo-0", runtime.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"second"}, got); diff != "" {
		t.Errorf("Logs (-want +got):\n%s", diff)
	}
	if pods, err := rt.Status(ctx, runtime.Ref{WorkloadID: "redo", Dispatch: 3}); err != nil || len(pods) != 0 {
		t.Errorf("Status of a dispatch never started = %+v, %v; want none", pods, err)
	}
}

// TestDispatchLogs: each dispatch of a pod keeps its own log.
func TestDispatchLogs(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	ctx := context.Background()
	for d, cmd := range map[int]string{1: "echo first", 2: "echo second"} {
		req := request("again", apiv1.KindPyTorchJob, cmd, 1)
		req.Dispatch = d
		if err := rt.Start(ctx, req); err != nil {
			t.Fatalf("Start: %v", err)
		}
		waitPods(t, rt, req, allPhase(workload.PodSucceeded))
	}
	for d, want := range map[int]string{1: "first", 2: "second"} {
		got, err := rt.DispatchLogs(ctx, runtime.Ref{WorkloadID: "again", Dispatch: d}, "again-0")
		if err != nil || !cmp.Equal(got, []string{want}) {
			t.Errorf("DispatchLogs(%d) = %q, %v; want %q", d, got, err, want)
		}
	}
	for _, d := range []int{0, 3} {
		if _, err := rt.DispatchLogs(ctx, runtime.Ref{WorkloadID: "again", Dispatch: d}, "again-0"); !errors.Is(err, runtime.ErrNotFound) {
			t.Errorf("DispatchLogs(%d) = %v, want ErrNotFound", d, err)
		}
	}
	if _, err := rt.DispatchLogs(ctx, runtime.Ref{WorkloadID: "again", Dispatch: 1}, "../again"); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("DispatchLogs of a path = %v, want ErrNotFound", err)
	}
}
