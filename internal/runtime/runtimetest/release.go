package runtimetest

import (
	"context"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
)

// Releaser is a runtime that can list the workloads it holds anything of.
type Releaser interface {
	runtime.Runtime
	runtime.WorkloadLister
}

// ReleaseAll stops and releases every workload rt holds, killing at once, and waits
// until each is released. A test that drives a runtime through the controller calls
// it as a cleanup after the controller stopped (before its directory is removed), so
// that no pod still starting writes into the directory while it is removed.
func ReleaseAll(t *testing.T, rt Releaser) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(WaitTimeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		err := releaseAll(ctx, rt)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("release the test's workloads: %v", err)
			return
		}
		<-tick.C
	}
}

// releaseAll stops and releases each workload of rt once; it fails while one is live.
func releaseAll(ctx context.Context, rt Releaser) error {
	ids, err := rt.WorkloadIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		ref := runtime.Ref{WorkloadID: id}
		if err := rt.Stop(ctx, ref, 0); err != nil {
			return err
		}
		if err := rt.Release(ctx, ref); err != nil {
			return err
		}
	}
	return nil
}
