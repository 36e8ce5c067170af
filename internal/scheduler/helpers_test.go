package scheduler

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// now is the clock of every table test; workloads are created an hour earlier.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const gi = int64(1) << 30

// planCase is one scheduling decision: a snapshot and the plan it must produce.
type planCase struct {
	name string
	snap Snapshot
	want Plan
}

func runPlanCases(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Schedule(&tc.snap, now)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Schedule() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// node is a ready, untainted node of workspace "ws" with GPU indices 0..gpus-1,
// 64 cores, 512Gi of memory and 1Ti of ephemeral storage.
func node(name string, gpus int, mods ...func(*Node)) Node {
	n := Node{
		Name:      name,
		Workspace: "ws",
		Capacity:  resource.List{MilliCPU: 64000, Memory: 512 * gi, GPU: int64(gpus), EphemeralStorage: 1024 * gi},
		Ready:     true,
	}
	for i := range gpus {
		n.GPUIndices = append(n.GPUIndices, i)
	}
	for _, m := range mods {
		m(&n)
	}
	return n
}

func tainted(n *Node)  { n.Tainted = true }
func notReady(n *Node) { n.Ready = false }

func nodeWS(ws string) func(*Node) { return func(n *Node) { n.Workspace = ws } }

func nodeLabels(kv ...string) func(*Node) {
	return func(n *Node) {
		n.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}

func nodeCPU(milli int64) func(*Node) { return func(n *Node) { n.Capacity.MilliCPU = milli } }

func gpuIndices(idx ...int) func(*Node) {
	return func(n *Node) { n.GPUIndices, n.Capacity.GPU = idx, int64(len(idx)) }
}

// wl is a queued workload of workspace "ws": one replica of 1 core, 1Gi and gpus GPUs.
func wl(id string, replica int, gpus int64, mods ...func(*Workload)) Workload {
	w := Workload{
		ID:        id,
		Workspace: "ws",
		Created:   now.Add(-time.Hour),
		PerPod:    resource.List{MilliCPU: 1000, Memory: gi, GPU: gpus},
		Replica:   replica,
	}
	for _, m := range mods {
		m(&w)
	}
	return w
}

func prio(p int) func(*Workload)           { return func(w *Workload) { w.Priority = p } }
func wlWS(ws string) func(*Workload)       { return func(w *Workload) { w.Workspace = ws } }
func rescheduled(w *Workload)              { w.Rescheduled = true }
func depsWaiting(w *Workload)              { w.DependenciesWaiting = true }
func tolerateAll(w *Workload)              { w.TolerateAll = true }
func onePerNode(w *Workload)               { w.OnePerNode = true }
func cron(d time.Duration) func(*Workload) { return func(w *Workload) { w.NotBefore = now.Add(d) } }

func created(d time.Duration) func(*Workload) {
	return func(w *Workload) { w.Created = now.Add(d) }
}

func perPod(l resource.List) func(*Workload) { return func(w *Workload) { w.PerPod = l } }

func labels(kv ...string) func(*Workload) {
	return func(w *Workload) {
		w.CustomerLabels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			w.CustomerLabels[kv[i]] = kv[i+1]
		}
	}
}

// admitted marks the workload admitted with one replica per placement.
func admitted(pl ...workload.PodPlacement) func(*Workload) {
	return func(w *Workload) { w.Admitted, w.Placement, w.Replica = true, pl, len(pl) }
}

func pp(rank int, node string, gpus ...int) workload.PodPlacement {
	return workload.PodPlacement{Rank: rank, Node: node, GPUs: gpus}
}

func admit(id string, pl ...workload.PodPlacement) Admission {
	return Admission{WorkloadID: id, Placement: pl}
}

func pending(id string, pos int, msg string) Pending {
	return Pending{WorkloadID: id, Position: pos, Message: msg}
}

func balance(ids ...string) []Workspace {
	var out []Workspace
	for _, id := range ids {
		out = append(out, Workspace{ID: id, QueuePolicy: "balance"})
	}
	return out
}
