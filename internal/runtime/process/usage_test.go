package process

import (
	"context"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

// TestCPUUsage: a busy pod's CPU time grows; an idle one's stays near nothing; an
// unknown dispatch counts none.
func TestCPUUsage(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	needCgroups(t, rt)
	ctx := context.Background()
	busy := withResources(request("busy", apiv1.KindAuthoring, "while :; do :; done", 1), "0.5", "64Mi")
	idle := withResources(request("idle", apiv1.KindAuthoring, "sleep 600", 1), "0.5", "64Mi")
	for _, req := range []runtime.StartRequest{busy, idle} {
		if err := rt.Start(ctx, req); err != nil {
			t.Fatalf("Start %s: %v", req.WorkloadID, err)
		}
		stopAll(t, rt, req)
	}
	var used time.Duration
	waitFor(t, rt, "the busy pod to use 200ms of CPU", func() bool {
		var err error
		used, err = rt.CPUUsage(ctx, busy.Ref())
		return err == nil && used >= 200*time.Millisecond
	}, func() any { return used })
	waitPods(t, rt, idle, allPhase("Running"))
	if got, err := rt.CPUUsage(ctx, idle.Ref()); err != nil || got > 100*time.Millisecond {
		t.Errorf("idle pod's CPU usage = %v, %v; want under 100ms", got, err)
	}
	none := busy.Ref()
	none.Dispatch = 9
	if got, err := rt.CPUUsage(ctx, none); err != nil || got != 0 {
		t.Errorf("CPU usage of a dispatch with no pods = %v, %v; want 0, nil", got, err)
	}
}
