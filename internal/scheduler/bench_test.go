package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/resource"
)

// benchSnapshot is 1,000 nodes of 8 GPUs over three workspaces and 10,000 queued
// workloads of gang sizes 1, 2, 8, 16 and 64 with mixed priorities.
func benchSnapshot() *Snapshot {
	r := rand.New(rand.NewPCG(1, 2))
	s := &Snapshot{Workspaces: []Workspace{
		{ID: "w0", QueuePolicy: "fifo"}, {ID: "w1", QueuePolicy: "balance"}, {ID: "w2", QueuePolicy: "balance"},
	}}
	for i := range 1000 {
		n := node(fmt.Sprintf("node-%04d", i), 8, nodeWS(fmt.Sprint("w", i%3)))
		n.Capacity.MilliCPU, n.Capacity.Memory = 192000, 2048*gi
		s.Nodes = append(s.Nodes, n)
	}
	for i := range 10000 {
		gang := oneOf(r, 1, 2, 8, 16, 64)
		gpus := oneOf[int64](r, 1, 2, 4, 8)
		if gang >= 16 {
			gpus = 8
		}
		s.Workloads = append(s.Workloads, Workload{
			ID:        fmt.Sprintf("wl-%05d", i),
			Workspace: fmt.Sprint("w", r.IntN(3)),
			Priority:  r.IntN(4),
			Created:   now.Add(-time.Duration(i) * time.Second),
			PerPod:    resource.List{MilliCPU: 8000 * gpus, Memory: 64 * gi * gpus, GPU: gpus},
			Replica:   gang,
		})
	}
	return s
}

func BenchmarkSchedule(b *testing.B) {
	s := benchSnapshot()
	pods := 0
	for _, a := range Schedule(s, now).Admit {
		pods += len(a.Placement)
	}
	b.ReportAllocs()
	for b.Loop() {
		Schedule(s, now)
	}
	b.ReportMetric(float64(pods)*float64(b.N)/b.Elapsed().Seconds(), "pods/s")
	b.ReportMetric(float64(pods), "pods/op")
}

// BenchmarkPlanIncremental measures a plan after one admitted workload finishes, on
// the planner that admitted what fit in benchSnapshot.
func BenchmarkPlanIncremental(b *testing.B) {
	p := NewPlanner()
	load(p, benchSnapshot())
	var running []string
	for _, a := range p.Plan(now).Admit {
		running = append(running, a.WorkloadID)
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(running) == 0 {
			b.Fatal("nothing left running")
		}
		p.RemoveWorkload(running[0])
		running = running[1:]
		for _, a := range p.Plan(now).Admit {
			running = append(running, a.WorkloadID)
		}
	}
}

func load(p *Planner, s *Snapshot) {
	for _, n := range s.Nodes {
		p.UpsertNode(n)
	}
	for _, ws := range s.Workspaces {
		p.UpsertWorkspace(ws)
	}
	for _, w := range s.Workloads {
		p.UpsertWorkload(w)
	}
}
