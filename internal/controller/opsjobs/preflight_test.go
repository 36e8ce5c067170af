package opsjobs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/workload"
)

func preflightJob(e *env, script string, nodes ...string) string {
	return e.insertJob(apiv1.OpsJobPreflight, func(j *opsjob.Job) {
		j.Inputs = nodeInputs(nodes...)
		j.Image, j.EntryPoint = "preflight:latest", script
		j.Resource = &apiv1.WorkloadResource{CPU: "1", Memory: "1Gi", GPU: "2"}
	})
}

func TestPreflightPasses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, nil)
	release := filepath.Join(e.dir, "release")
	// A workload holding GPUs 0 and 1 of node-1: the preflight takes the next ones.
	busy := e.submit("busy", "while [ ! -f "+release+" ]; do sleep 0.05; done", func(s *apiv1.WorkloadSpec) {
		s.Resource.GPU = "2"
		s.CustomerLabels = map[string]string{workload.HostnameLabel: "node-1"}
	})
	e.waitWorkload(busy, "running", func(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseRunning })
	id := preflightJob(e, `echo "rank $RANK sees $CUDA_VISIBLE_DEVICES"`, "node-1", "node-2")
	j := e.waitEnded(id)
	if j.Status.Phase != apiv1.OpsJobSucceeded {
		t.Fatalf("job = %s", describe(j, nil))
	}
	want := []apiv1.Parameter{{Name: "node-1", Value: "passed"}, {Name: "node-2", Value: "passed"}}
	if diff := cmp.Diff(want, j.Status.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	w, err := e.store.WorkloadGetAny(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintln(w.Kind(), w.Spec.Priority, w.UserID, w.Spec.Resource.Replica, w.Spec.CustomerLabels[workload.HostnameLabel], w.Status.Placement)
	got = strings.TrimSpace(got)
	if wantW := "PyTorchJob 2 u1 2 node-1 node-2 [{0 node-1 [2 3] <nil>} {1 node-2 [0 1] <nil>}]"; got != wantW {
		t.Errorf("workload = %s, want %s", got, wantW)
	}
}

func TestPreflightFailingNodeGetsFault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, nil)
	ok := filepath.Join(e.dir, "ok")
	// Rank 1 (node-2) fails once rank 0 (node-1) is seen to have passed, so its
	// failure cannot stop rank 0 first.
	script := `if [ "$RANK" = 1 ]; then while [ ! -f ` + ok + ` ]; do sleep 0.05; done; echo "gpu check failed"; exit 1; fi`
	id := preflightJob(e, script, "node-1", "node-2")
	var w *workload.Workload
	var err error
	poll(t, "rank 0 passed", func() bool {
		w, err = e.store.WorkloadGetAny(t.Context(), id)
		return err == nil && slices.ContainsFunc(w.Status.Pods, func(p workload.Pod) bool {
			return p.Rank == 0 && p.Phase == workload.PodSucceeded
		})
	}, func() string { return fmt.Sprintf("%+v, %v", w, err) })
	if err := os.WriteFile(ok, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	j := e.waitEnded(id)
	if j.Status.Phase != apiv1.OpsJobFailed || len(j.Status.Outputs) != 2 {
		t.Fatalf("job = %s, outputs %v", describe(j, nil), j.Status.Outputs)
	}
	if o := j.Status.Outputs[0]; o != (apiv1.Parameter{Name: "node-1", Value: "passed"}) {
		t.Errorf("node-1 output = %v", o)
	}
	if o := j.Status.Outputs[1]; o.Name != "node-2" || !strings.HasPrefix(o.Value, "failed: ") || !strings.Contains(o.Value, "gpu check failed") {
		t.Errorf("node-2 output = %v", o)
	}
	f, err := e.store.FaultGet(t.Context(), nodefault.ID("node-2", nodefault.MonitorPreflight))
	if err != nil || !f.Open() || f.JobID != id {
		t.Fatalf("fault of node-2 = %+v (err %v), want open and raised by the job", f, err)
	}
	if !tainted(e.node("node-2"), nodefault.MonitorPreflight) || tainted(e.node("node-1"), nodefault.MonitorPreflight) {
		t.Errorf("taints: node-1 %v, node-2 %v; want only node-2 tainted", e.node("node-1").Taints, e.node("node-2").Taints)
	}
	// The check runs again on the node its fault taints, to show it is mended.
	again := e.waitEnded(preflightJob(e, "true", "node-2"))
	if again.Status.Phase != apiv1.OpsJobSucceeded {
		t.Errorf("a preflight on the faulty node = %s", describe(again, nil))
	}
}

func TestOnlyPreflightFaults(t *testing.T) {
	t.Parallel()
	fault := nodefault.Taint(nodefault.MonitorPreflight)
	other := nodefault.Taint(nodefault.MonitorAddon)
	for _, tc := range []struct {
		name   string
		taints [][]apiv1.Taint
		want   bool
	}{
		{"no taints", [][]apiv1.Taint{nil, nil}, false},
		{"a preflight fault", [][]apiv1.Taint{nil, {fault}}, true},
		{"a preflight fault and another", [][]apiv1.Taint{{fault}, {other}}, false},
		{"another taint beside the fault", [][]apiv1.Taint{{fault, other}}, false},
	} {
		var nodes []*inventory.Node
		for i, ts := range tc.taints {
			nodes = append(nodes, &inventory.Node{Name: fmt.Sprint("node-", i), Taints: ts})
		}
		if got := onlyPreflightFaults(nodes); got != tc.want {
			t.Errorf("%s: onlyPreflightFaults = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStoppedPreflightStopsItsWorkload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	id := preflightJob(e, "sleep 60", "node-1")
	e.waitWorkload(id, "running", func(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseRunning })
	e.waitJob(id, "running", func(j *opsjob.Job) bool { return j.Status.Phase == apiv1.OpsJobRunning })
	// Stop it as the API does: Failed, with who stopped it.
	_, err := New(e.cfg).update(t.Context(), id, func(j *opsjob.Job) error {
		j.Status.Phase, j.Status.EndTime, j.Status.StopRequested = apiv1.OpsJobFailed, time.Now().UTC(), "admin"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w := e.waitWorkload(id, "stopped", func(w *workload.Workload) bool { return w.Ended() && !w.Dispatched() })
	if w.Status.Phase != apiv1.PhaseStopped {
		t.Errorf("workload = %s, want Stopped", w.Status.Phase)
	}
}

// TestPreflightOverTwoWorkspaces: nodes of two workspaces get one workload each, as the
// planner admits a workload within one workspace; the job sums up both.
func TestPreflightOverTwoWorkspaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, nil)
	if err := e.store.WorkspaceInsert(t.Context(), &inventory.Workspace{ID: "ws2", QueuePolicy: apiv1.QueuePolicyFIFO}); err != nil {
		t.Fatal(err)
	}
	n := e.node("node-2")
	n.Workspace = "ws2"
	if err := e.store.NodePut(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	id := preflightJob(e, "true", "node-1", "node-2")
	j := e.waitEnded(id)
	want := []apiv1.Parameter{{Name: "node-1", Value: "passed"}, {Name: "node-2", Value: "passed"}}
	if diff := cmp.Diff(want, j.Status.Outputs); diff != "" || j.Status.Phase != apiv1.OpsJobSucceeded {
		t.Fatalf("job = %s; outputs (-want +got):\n%s", describe(j, nil), diff)
	}
	for _, w := range []struct{ id, workspace, node string }{{id, testWorkspace, "node-1"}, {id + "-2", "ws2", "node-2"}} {
		got, err := e.store.WorkloadGetAny(t.Context(), w.id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Workspace() != w.workspace || len(got.Status.Placement) != 1 || got.Status.Placement[0].Node != w.node {
			t.Errorf("workload %s in %s placed %v, want in %s on %s", w.id, got.Workspace(), got.Status.Placement, w.workspace, w.node)
		}
	}
}

// TestPreflightOnNodesOfNoWorkspace: nodes not yet given to a workspace (a cluster
// just added) are checked in the planner's pool of such nodes.
func TestPreflightOnNodesOfNoWorkspace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, nil)
	for _, id := range []string{"node-1", "node-2"} {
		n := e.node(id)
		n.Workspace = ""
		if err := e.store.NodePut(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	id := preflightJob(e, "true", "node-1", "node-2")
	j := e.waitEnded(id)
	if j.Status.Phase != apiv1.OpsJobSucceeded {
		t.Fatalf("job = %s", describe(j, nil))
	}
	w, err := e.store.WorkloadGetAny(t.Context(), id)
	if err != nil || w.Workspace() != "" || len(w.Status.Placement) != 2 {
		t.Errorf("workload = %+v, %v; want in no workspace, on both nodes", w, err)
	}
}
