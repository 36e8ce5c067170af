package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

func oneOf[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// randomSnapshot builds a snapshot whose admitted workloads fit their nodes.
func randomSnapshot(r *rand.Rand) *Snapshot {
	s := &Snapshot{}
	nws := 1 + r.IntN(3)
	for i := range nws {
		s.Workspaces = append(s.Workspaces, Workspace{ID: fmt.Sprint("w", i), QueuePolicy: oneOf(r, "", "fifo", "balance"), EnablePreempt: r.IntN(2) == 0})
	}
	size := oneOf(r, 3, 8, 20, 60)
	for i := range r.IntN(size + 1) {
		s.Nodes = append(s.Nodes, randomNode(r, i, nws))
	}
	randomAdmitted(r, s)
	for i := range r.IntN(2*size + 1) {
		s.Workloads = append(s.Workloads, randomQueued(r, i, nws, len(s.Nodes)))
	}
	return s
}

func randomNode(r *rand.Rand, i, nws int) Node {
	g := oneOf(r, 0, 2, 4, 8, 8)
	n := Node{
		Name:      fmt.Sprintf("n%02d", i),
		Workspace: fmt.Sprint("w", r.IntN(nws)),
		Capacity:  resource.List{MilliCPU: oneOf[int64](r, 4000, 16000, 64000), Memory: oneOf[int64](r, 16, 64, 256) * gi, GPU: int64(g), EphemeralStorage: oneOf[int64](r, 0, 100) * gi},
		Ready:     r.IntN(10) > 0,
		Tainted:   r.IntN(7) == 0,
		Labels:    map[string]string{"zone": oneOf(r, "a", "b")},
	}
	base := oneOf(r, 0, 0, 4)
	for k := range g {
		n.GPUIndices = append(n.GPUIndices, base+k)
	}
	r.Shuffle(len(n.GPUIndices), func(a, b int) { n.GPUIndices[a], n.GPUIndices[b] = n.GPUIndices[b], n.GPUIndices[a] })
	return n
}

func randomPerPod(r *rand.Rand) resource.List {
	return resource.List{
		MilliCPU:         oneOf[int64](r, 0, 500, 2000, 8000),
		Memory:           oneOf[int64](r, 0, 1, 8, 32) * gi,
		GPU:              oneOf[int64](r, 0, 0, 1, 2, 4, 8),
		EphemeralStorage: oneOf[int64](r, 0, 0, 10) * gi,
	}
}

func randomQueued(r *rand.Rand, i, nws, nnodes int) Workload {
	w := Workload{
		ID:                  fmt.Sprintf("q%03d", i),
		Workspace:           fmt.Sprint("w", r.IntN(nws+1)), // sometimes one with no nodes
		Priority:            r.IntN(3),
		Created:             now.Add(-time.Duration(r.IntN(5)) * time.Minute),
		Rescheduled:         r.IntN(10) == 0,
		PerPod:              randomPerPod(r),
		Replica:             oneOf(r, 1, 1, 2, 3, 4, 8, 16),
		TolerateAll:         r.IntN(6) == 0,
		DependenciesWaiting: r.IntN(10) == 0,
	}
	switch r.IntN(10) {
	case 0:
		w.NotBefore = now.Add(time.Minute)
	case 1:
		w.NotBefore = now.Add(-time.Minute)
	}
	switch r.IntN(8) {
	case 0:
		w.CustomerLabels = map[string]string{"zone": oneOf(r, "a", "b", "c")}
	case 1:
		hosts := []string{fmt.Sprintf("n%02d", r.IntN(nnodes+1)), fmt.Sprintf("n%02d", r.IntN(nnodes+1))}
		w.CustomerLabels = map[string]string{workload.HostnameLabel: strings.Join(hosts, " ")}
		w.OnePerNode = true // as the controller describes a pinned workload (a preflight)
	}
	return w
}

// randomAdmitted adds admitted workloads placed where they fit, on the lowest or a
// random selection of free GPU indices.
func randomAdmitted(r *rand.Rand, s *Snapshot) {
	free := map[string]resource.List{}
	idle := map[string][]int{}
	for _, n := range s.Nodes {
		free[n.Name], idle[n.Name] = n.Capacity, slices.Clone(n.GPUIndices)
	}
	for i := range r.IntN(len(s.Nodes) + 1) {
		w := Workload{
			ID: fmt.Sprintf("a%03d", i), Admitted: true, PerPod: randomPerPod(r), Priority: r.IntN(3),
			Created: now.Add(-time.Duration(r.IntN(5)) * time.Minute),
		}
		if r.IntN(6) == 0 {
			w.Preempted, w.PreemptedFor = true, oneOf(r, "", fmt.Sprintf("q%03d", r.IntN(8)))
		}
		for range 1 + r.IntN(3) {
			n := s.Nodes[r.IntN(len(s.Nodes))]
			if ok, _ := w.PerPod.Fits(free[n.Name]); !ok || (w.Workspace != "" && n.Workspace != w.Workspace) {
				continue
			}
			w.Workspace = n.Workspace
			free[n.Name] = free[n.Name].Sub(w.PerPod)
			r.Shuffle(len(idle[n.Name]), func(a, b int) { idle[n.Name][a], idle[n.Name][b] = idle[n.Name][b], idle[n.Name][a] })
			g := int(w.PerPod.GPU)
			p := workload.PodPlacement{Rank: len(w.Placement), Node: n.Name, GPUs: slices.Clone(idle[n.Name][:g])}
			idle[n.Name] = idle[n.Name][g:]
			w.Placement = append(w.Placement, p)
		}
		if w.Replica = len(w.Placement); w.Replica > 0 {
			s.Workloads = append(s.Workloads, w)
		}
	}
}
