package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

func gpuJob(name, script string, replicas int, gpus string, priority int) *apiv1.CreateWorkloadRequest {
	req := job(name, script, replicas)
	req.Resource.GPU, req.Priority = gpus, priority
	return req
}

func scheduling(t *testing.T, c *client.Client, id string) apiv1.WorkloadScheduling {
	t.Helper()
	var out apiv1.WorkloadScheduling
	if err := c.Do(t.Context(), "GET", "/api/v1/workloads/"+id+"/scheduling", nil, nil, &out); err != nil {
		t.Fatalf("scheduling of %s: %v", id, err)
	}
	return out
}

// With 2 nodes × 8 GPUs, a 16-GPU gang waits behind an 8-GPU job, says why, and starts
// when that job ends.
func TestGangWaitsForRunningWork(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	g := newGate(t)
	first := create(t, c, gpuJob("first", g.script("true"), 1, "8", 0))
	waitPhase(t, c, first, apiv1.PhaseRunning, 30*time.Second)
	gang := create(t, c, gpuJob("gang", "true", 2, "8", 0))
	var why apiv1.WorkloadScheduling
	waitFor(t, 30*time.Second, func() (bool, error) {
		why = scheduling(t, c, gang)
		return why.Message != "", nil
	})
	if why.Admitted || why.QueuePosition != 1 || !strings.Contains(why.Message, "Insufficient total gpu resources") {
		t.Errorf("scheduling = %+v", why)
	}
	if len(why.Reasons) == 0 || !strings.Contains(strings.Join(why.Reasons, "; "), "16") {
		t.Errorf("reasons %q: want the 16 GPUs it needs", why.Reasons)
	}
	if !slices.Contains(why.Blockers, first) {
		t.Errorf("blockers %v: want %s", why.Blockers, first)
	}
	if w := get(t, c, gang); w.Phase != apiv1.PhasePending || w.Message != why.Message {
		t.Errorf("gang = %s %q; want Pending with the scheduler's message", w.Phase, w.Message)
	}
	g.open(t)
	w := waitPhase(t, c, gang, apiv1.PhaseSucceeded, 30*time.Second)
	if len(w.Nodes) != 1 || len(w.Nodes[0]) != 2 {
		t.Errorf("gang ran on %v, want both nodes", w.Nodes)
	}
}

// In a workspace with enablePreempt, a priority-2 job evicts a priority-0 one, which
// runs again later with dispatchCount 2.
func TestPreemption(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	c := s.Client
	on := true
	if err := c.Do(t.Context(), "PATCH", "/api/v1/workspaces/"+workspace, nil, apiv1.PatchWorkspaceRequest{EnablePreempt: &on}, nil); err != nil {
		t.Fatalf("enable preemption: %v", err)
	}
	low := create(t, c, gpuJob("low", "sleep 1000", 2, "8", 0))
	waitPhase(t, c, low, apiv1.PhaseRunning, 30*time.Second)
	high := create(t, c, gpuJob("high", "true", 1, "8", 2))
	waitPhase(t, c, high, apiv1.PhaseSucceeded, 60*time.Second)
	var w *apiv1.WorkloadDetail
	waitFor(t, 60*time.Second, func() (bool, error) {
		w = get(t, c, low)
		return w.DispatchCount == 2 && w.Phase == apiv1.PhaseRunning, nil
	})
	if !hasCondition(w, "AdminFailover", "the workload is preempted by "+high) {
		t.Errorf("conditions of the victim: %+v", w.Conditions)
	}
	if slices.Contains(conditionTypes(w), "K8sFailed") {
		t.Errorf("a preempted run is not a failure: %+v", w.Conditions)
	}
}
