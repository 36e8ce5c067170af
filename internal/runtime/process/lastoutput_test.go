package process

import (
	"context"
	"errors"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// TestLastOutput: a pod's last output is when its last line was written; another
// dispatch, or another pod, has none.
func TestLastOutput(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	ctx := context.Background()
	req := request("speaks", apiv1.KindPyTorchJob, "echo hello", 1)
	before := time.Now().Add(-time.Second) // file times may be coarser than the clock
	if err := rt.Start(ctx, req); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitPods(t, rt, req, allPhase(workload.PodSucceeded))
	got, err := rt.LastOutput(ctx, req.Ref(), "speaks-0")
	if err != nil || got.Before(before) || got.After(time.Now()) {
		t.Errorf("LastOutput = %v, %v; want a time since the pod started (%v)", got, err, before)
	}
	other := req.Ref()
	other.Dispatch++
	for _, c := range []struct {
		ref runtime.Ref
		pod string
	}{{other, "speaks-0"}, {req.Ref(), "speaks-1"}, {req.Ref(), "../speaks-0"}} {
		if _, err := rt.LastOutput(ctx, c.ref, c.pod); !errors.Is(err, runtime.ErrNotFound) {
			t.Errorf("LastOutput of pod %s in dispatch %d: %v, want runtime.ErrNotFound", c.pod, c.ref.Dispatch, err)
		}
	}
}
