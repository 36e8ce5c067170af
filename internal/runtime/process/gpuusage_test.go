package process

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

func TestParseUtilization(t *testing.T) {
	t.Parallel()
	out := []byte("0, 87\n1, 0\n2, [N/A]\nNo devices were found\n\n3,12.5\n")
	want := map[int]float64{0: 87, 1: 0, 2: 0, 3: 12.5}
	if diff := cmp.Diff(want, parseUtilization(out)); diff != "" {
		t.Errorf("parseUtilization (-want +got):\n%s", diff)
	}
}

// TestHeldGPUs: the GPUs a dispatch's pods were given are read back from their
// specs; pods without GPUs have no utilization to tell.
func TestHeldGPUs(t *testing.T) {
	t.Parallel()
	rt := newRuntime(t, t.TempDir())
	req := request("gpus", apiv1.KindAuthoring, "true", 2)
	req.Pods[0].GPUs, req.Pods[1].GPUs = []int{0, 1}, []int{3}
	start(t, rt, req)
	waitPods(t, rt, req, noneLive)
	held, err := rt.heldGPUs(req.Ref())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 1, 3}, held); diff != "" {
		t.Errorf("held GPUs (-want +got):\n%s", diff)
	}
	none := request("cpu-only", apiv1.KindAuthoring, "true", 1)
	start(t, rt, none)
	waitPods(t, rt, none, noneLive)
	if _, err := rt.GPUUtilization(context.Background(), none.Ref()); !errors.Is(err, runtime.ErrUnsupported) {
		t.Errorf("GPU utilization of pods without GPUs: %v, want ErrUnsupported", err)
	}
}
