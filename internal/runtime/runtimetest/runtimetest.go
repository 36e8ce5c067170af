// Package runtimetest is the conformance suite every runtime.Runtime passes: Run it
// from the implementation's tests with a constructor that returns a fresh runtime.
//
// The runtimes under test must run real pods with /bin/sh and offer at least one
// available node; the GPU test runs on the nodes that offer GPUs and is skipped when
// none does.
package runtimetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
)

// WaitTimeout is how long a test waits for a pod to reach a state.
const WaitTimeout = 60 * time.Second

// Cluster is the cluster the suite's requests name, so that a runtime over several
// clusters (fleet) is tested through a member of that name.
const Cluster = "conformance"

// pollInterval is how often a waiting test looks again when Changed stays silent.
const pollInterval = 25 * time.Millisecond

// Run runs the suite; newRuntime is called once per test.
func Run(t *testing.T, newRuntime func(t *testing.T) runtime.Runtime) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"Succeeded", testSucceeded},
		{"Failed", testFailed},
		{"LogsTail", testLogsTail},
		{"LogsSince", testLogsSince},
		{"LogsNotFound", testLogsNotFound},
		{"Containers", testContainers},
		{"StopGraceful", testStopGraceful},
		{"StopKillsAfterGrace", testStopKillsAfterGrace},
		{"StartIdempotent", testStartIdempotent},
		{"Release", testRelease},
		{"PyTorchJobEnv", testPyTorchJobEnv},
		{"GPUEnv", testGPUEnv},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newHarness(t, newRuntime(t)))
		})
	}
}

// harness drives one runtime for one test and stops what the test started. It calls
// the runtime with context.Background(): t.Context() is canceled before cleanups run.
type harness struct {
	t     *testing.T
	rt    runtime.Runtime
	nodes []inventory.Node
}

var workloadSeq atomic.Int64

func newHarness(t *testing.T, rt runtime.Runtime) *harness {
	t.Helper()
	nodes, err := rt.Nodes(context.Background())
	if err != nil {
		t.Fatalf("Nodes: %v", err)
	}
	i := slices.IndexFunc(nodes, func(n inventory.Node) bool { return n.Available() })
	if i < 0 {
		t.Fatalf("Nodes: no available node in %+v", nodes)
	}
	// The first available node comes first: most tests run there.
	nodes[0], nodes[i] = nodes[i], nodes[0]
	return &harness{t: t, rt: rt, nodes: nodes}
}

// request is a dispatch of a new workload with n pods on the first node.
func (h *harness) request(kind, command string, n int) runtime.StartRequest {
	id := fmt.Sprintf("rtt-%d-%d", time.Now().UnixNano()%1_000_000_000, workloadSeq.Add(1))
	req := runtime.StartRequest{
		WorkloadID: id, Kind: kind, Cluster: Cluster, Workspace: "default", Dispatch: 1, Command: command,
		Env: map[string]string{"WORKLOAD_ID": id, "WORKLOAD_KIND": kind, "DISPATCH_COUNT": "1"},
	}
	for rank := range n {
		req.Pods = append(req.Pods, runtime.PodSpec{PodID: fmt.Sprintf("%s-%d", id, rank), Rank: rank, Node: h.nodes[0].Name})
	}
	return req
}

// start starts req and, at the end of the test, stops the workload and waits until
// none of its pods runs.
func (h *harness) start(req runtime.StartRequest) {
	h.t.Helper()
	if err := h.rt.Start(context.Background(), req); err != nil {
		h.t.Fatalf("Start: %v", err)
	}
	h.t.Cleanup(func() { h.stopAll(req.Ref()) })
}

func (h *harness) stopAll(ref runtime.Ref) {
	h.waitPods("the pods to end after Stop", ref, func(pods []runtime.PodStatus) bool {
		if err := h.rt.Stop(context.Background(), ref, 0); err != nil {
			h.t.Errorf("Stop: %v", err)
		}
		return !slices.ContainsFunc(pods, runtime.PodStatus.Live)
	})
}

// eventually calls check until it reports done, waking on Changed or every
// pollInterval, and fails the test after WaitTimeout.
func (h *harness) eventually(what string, check func() (done bool, last string)) {
	h.t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		done, last := check()
		if done {
			return
		}
		select {
		case <-deadline.C:
			h.t.Fatalf("timed out waiting for %s; last: %s", what, last)
		case <-tick.C:
		case <-h.rt.Changed():
		}
	}
}

// waitPods waits until the dispatch's pods satisfy ok and returns them.
func (h *harness) waitPods(what string, ref runtime.Ref, ok func([]runtime.PodStatus) bool) []runtime.PodStatus {
	h.t.Helper()
	var pods []runtime.PodStatus
	h.eventually(what, func() (bool, string) {
		var err error
		pods, err = h.rt.Status(context.Background(), ref)
		if err != nil {
			return false, "Status: " + err.Error()
		}
		return ok(pods), fmt.Sprintf("%+v", pods)
	})
	return pods
}

// waitPhase waits until every pod of req has reached one of the phases.
func (h *harness) waitPhase(req runtime.StartRequest, phases ...string) []runtime.PodStatus {
	h.t.Helper()
	return h.waitPods("pods "+strings.Join(phases, " or "), req.Ref(), func(pods []runtime.PodStatus) bool {
		if len(pods) != len(req.Pods) {
			return false
		}
		for _, p := range pods {
			if !slices.Contains(phases, p.Phase) {
				return false
			}
		}
		return true
	})
}

// waitLogs waits until the pod's log satisfies ok and returns it.
func (h *harness) waitLogs(ref runtime.Ref, podID string, ok func([]string) bool) []string {
	h.t.Helper()
	var lines []string
	h.eventually("logs of "+podID, func() (bool, string) {
		var err error
		lines, err = h.rt.Logs(context.Background(), ref, podID, runtime.LogOptions{})
		if err != nil {
			return false, "Logs: " + err.Error()
		}
		return ok(lines), fmt.Sprintf("%q", lines)
	})
	return lines
}

// logs reads a pod's log and fails the test on an error.
func (h *harness) logs(ref runtime.Ref, podID string, opts runtime.LogOptions) []string {
	h.t.Helper()
	lines, err := h.rt.Logs(context.Background(), ref, podID, opts)
	if err != nil {
		h.t.Fatalf("Logs(%s, %+v): %v", podID, opts, err)
	}
	return lines
}

// stranger is ref with the id of a workload no runtime started.
func stranger(ref runtime.Ref) runtime.Ref {
	ref.WorkloadID += "x"
	return ref
}

func contains(s string) func([]string) bool {
	return func(lines []string) bool { return slices.Contains(lines, s) }
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("%s: err = %v, want runtime.ErrNotFound", what, err)
	}
}
