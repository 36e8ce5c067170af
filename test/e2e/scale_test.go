package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// TestScaleInPlace: POST .../scale 3 -> 5 -> 2 of a Deployment on the process
// runtime: Updating, then Running (as a watch sees it) with the replicas asked for,
// each time on the first dispatch; the pods that stay keep their start times and
// processes, the dropped ones are gone from the workload and their processes ended.
func TestScaleInPlace(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	req := service("scale-in-place")
	req.EntryPoint = "exec sleep 3600" // one process a pod, for the whole test
	req.Resource.Replica = 3
	id := create(t, c, req)
	w := waitReplicas(t, c, id, apiv1.PhaseRunning, 3)
	started := map[string]string{}
	for _, p := range w.Pods {
		started[p.PodID] = p.StartTime
	}
	procsBefore := waitExactPids(t, id, 3)
	for _, n := range []int{5, 2} {
		w = scaleWatched(t, c, id, n)
		if w.DispatchCount != 1 {
			t.Errorf("dispatchCount %d after scaling to %d, want 1", w.DispatchCount, n)
		}
		if len(w.Pods) != n {
			t.Errorf("%d pods after scaling to %d: %v", len(w.Pods), n, podNames(w))
		}
		for _, p := range w.Pods {
			if was, ok := started[p.PodID]; ok && was != p.StartTime {
				t.Errorf("pod %s restarted when scaling to %d: started %s, now %s", p.PodID, n, was, p.StartTime)
			}
		}
		pids := waitExactPids(t, id, n)
		kept := slices.DeleteFunc(slices.Clone(procsBefore), func(pid int) bool { return !slices.Contains(pids, pid) })
		if want := min(n, 3); len(kept) != want {
			t.Errorf("after scaling to %d, %d of the first pods' processes %v run (%v), want %d", n, len(kept), procsBefore, pids, want)
		}
	}
}

// waitExactPids waits until the workload has exactly n processes and returns them.
func waitExactPids(t *testing.T, id string, n int) []int {
	t.Helper()
	var pids []int
	waitFor(t, 30*time.Second, func() (bool, error) {
		pids = pidsOf(id)
		return len(pids) == n, nil
	})
	return pids
}

// scaleWatched scales the workload to n replicas while watching it, and returns it
// once it is Running with n ready replicas, failing unless it was Updating on the way.
func scaleWatched(t *testing.T, c *client.Client, id string, n int) *apiv1.WorkloadDetail {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	sawUpdating, scaled := false, false
	var last apiv1.WorkloadDetail
	for ev, err := range c.WatchWorkload(ctx, id, client.WatchOptions{RetryDelay: 50 * time.Millisecond}) {
		if err != nil {
			t.Fatalf("watch %s scaling to %d: %v; last %s", id, n, err, last.Phase)
		}
		if ev.Type == apiv1.WatchBookmark {
			continue
		}
		if !scaled { // the first event is the workload as it was
			if err := c.ScaleWorkload(t.Context(), id, n); err != nil {
				t.Fatalf("scale to %d: %v", n, err)
			}
			scaled = true
			continue
		}
		last = ev.Object
		sawUpdating = sawUpdating || last.Phase == apiv1.PhaseUpdating
		if sawUpdating && last.Phase == apiv1.PhaseRunning && last.ReadyReplicas != nil && *last.ReadyReplicas == n {
			return &last
		}
	}
	t.Fatalf("scaling %s to %d: saw Updating %v; last phase %s, ready %v", id, n, sawUpdating, last.Phase, last.ReadyReplicas)
	return nil
}
