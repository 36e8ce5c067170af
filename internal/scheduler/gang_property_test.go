package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/berth-dev/berth/internal/resource"
)

// TestUnitsProperties: over random gangs of units on random nodes, an admitted gang
// holds each of its units whole or not at all and every required one, each pod with
// its own request and as many GPUs; no node goes over its capacity, no GPU index is
// given twice, and a hard topology keeps a gang within one domain.
func TestUnitsProperties(t *testing.T) {
	t.Parallel()
	whole, partial := 0, 0
	for seed := range uint64(2000) {
		s := randomUnitsSnapshot(rand.New(rand.NewPCG(seed, 7)))
		plan := Schedule(s, now)
		for _, err := range checkUnits(s, plan) {
			t.Errorf("seed %d: %v", seed, err)
		}
		if t.Failed() {
			return
		}
		for _, a := range plan.Admit {
			if len(a.Placement) == countPods(s, a.WorkloadID) {
				whole++
			} else {
				partial++
			}
		}
	}
	if whole < 100 || partial < 100 {
		t.Errorf("%d gangs admitted whole, %d in part: the snapshots test too little", whole, partial)
	}
}

func countPods(s *Snapshot, id string) int {
	for _, w := range s.Workloads {
		if w.ID == id {
			return w.Replica
		}
	}
	return 0
}

func randomUnitsSnapshot(r *rand.Rand) *Snapshot {
	s := &Snapshot{Workspaces: []Workspace{{ID: "ws"}}}
	for i := range 1 + r.IntN(5) {
		n := node(fmt.Sprintf("n%d", i), r.IntN(9), rack(fmt.Sprintf("r%d", r.IntN(3))))
		n.Capacity.MilliCPU = int64(4000 + r.IntN(28000))
		s.Nodes = append(s.Nodes, n)
	}
	for i := range 1 + r.IntN(4) {
		w := wl(fmt.Sprintf("g%d", i), 0, 0)
		for range 1 + r.IntN(3) {
			u := Unit{Pods: 1 + r.IntN(3), Optional: r.IntN(2) == 0}
			for range u.Pods {
				req := resource.List{MilliCPU: int64(1000 + r.IntN(8000)), Memory: gi, GPU: int64(r.IntN(5))}
				u.Requests = append(u.Requests, req)
				w.PerPod = w.PerPod.Max(req)
			}
			w.Units = append(w.Units, u)
			w.Replica += u.Pods
		}
		if k := r.IntN(3); k > 0 {
			w.Topology = &Topology{Tiers: []string{"rack"}, Hard: k == 1}
		}
		s.Workloads = append(s.Workloads, w)
	}
	return s
}

func checkUnits(s *Snapshot, plan Plan) []error {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	nodes, used, gpus := map[string]*Node{}, map[string]resource.List{}, map[string]bool{}
	for i := range s.Nodes {
		nodes[s.Nodes[i].Name] = &s.Nodes[i]
	}
	byID := map[string]*Workload{}
	for i := range s.Workloads {
		byID[s.Workloads[i].ID] = &s.Workloads[i]
	}
	for _, a := range plan.Admit {
		w := byID[a.WorkloadID]
		placed, racks := map[int]bool{}, map[string]bool{}
		for _, pl := range a.Placement {
			want := podRequest(w, pl.Rank)
			if got := w.holds(&pl); got != want || int64(len(pl.GPUs)) != want.GPU {
				fail("%s rank %d holds %v with %d GPUs, asked for %v", w.ID, pl.Rank, got, len(pl.GPUs), want)
			}
			used[pl.Node] = used[pl.Node].Add(want)
			for _, g := range pl.GPUs {
				if gpus[fmt.Sprint(pl.Node, g)] {
					fail("gpu %d of %s given twice", g, pl.Node)
				}
				gpus[fmt.Sprint(pl.Node, g)] = true
			}
			placed[pl.Rank], racks[nodes[pl.Node].Labels["rack"]] = true, true
		}
		first := 0
		for i, must := range required(w) {
			n := 0
			for k := range w.Units[i].Pods {
				if placed[first+k] {
					n++
				}
			}
			if n != 0 && n != w.Units[i].Pods || must && n == 0 {
				fail("%s unit %d (required %v): %d of its %d pods placed", w.ID, i, must, n, w.Units[i].Pods)
			}
			first += w.Units[i].Pods
		}
		if w.Topology != nil && w.Topology.Hard && len(racks) != 1 {
			fail("%s of a hard topology spans racks %v", w.ID, racks)
		}
	}
	for name, u := range used {
		if ok, short := u.Fits(nodes[name].Capacity); !ok {
			fail("node %s over capacity in %s", name, short)
		}
	}
	return errs
}

// podRequest is what the pod of rank of a gang of units asks for.
func podRequest(w *Workload, rank int) resource.List {
	for _, u := range w.Units {
		if rank < u.Pods {
			return u.Requests[rank]
		}
		rank -= u.Pods
	}
	return resource.List{}
}
