// Command scheduler measures the planner of internal/scheduler on two synthetic
// clusters and prints a table:
//
//   - main: -nodes nodes of -gpus-per-node GPUs over three workspaces (one fifo, two
//     balance) and -workloads queued workloads of gang sizes 1, 2, 8, 16 and 64 with
//     priorities 0–3 (1,000 × 8 and 10,000 by default);
//   - basic: 5,000 cpu nodes and 10,000 single-pod workloads, the shape of
//     kube-scheduler's SchedulingBasic benchmark.
//
// For each: pods placed per second by a full cycle (a fresh Schedule of the whole
// snapshot), the full cycle's median time, the median incremental cycle (one admitted
// workload removed, then Plan), allocations per full cycle, and the heap a planner
// holding the planned state keeps. The last line is one JSON object for the main case.
//
//	go run ./bench/scheduler
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/scheduler"
)

const gi = int64(1) << 30

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type result struct {
	PodsPerSecond     float64 `json:"podsPerSecond"`
	CycleMillis       float64 `json:"cycleMillis"`
	IncrementalMillis float64 `json:"incrementalMillis"`
	AllocsPerCycle    float64 `json:"allocsPerCycle"`
	HeapMB            float64 `json:"heapMB"`
	pods              int
}

func main() {
	nodes := flag.Int("nodes", 1000, "nodes in the main case")
	gpus := flag.Int("gpus-per-node", 8, "GPUs per node in the main case")
	workloads := flag.Int("workloads", 10000, "queued workloads in the main case")
	runs := flag.Int("runs", 15, "full cycles measured per case")
	flag.Parse()
	mainCase := measure(gangSnapshot(*nodes, *gpus, *workloads), *runs)
	basic := measure(basicSnapshot(5000, 10000), *runs)
	fmt.Printf("%-38s %10s %8s %12s %14s %14s %8s\n", "case", "pods/s", "pods", "cycle ms", "incremental ms", "allocs/cycle", "heap MB")
	row := func(name string, r result) {
		fmt.Printf("%-38s %10.0f %8d %12.2f %14.3f %14.0f %8.1f\n", name, r.PodsPerSecond, r.pods, r.CycleMillis, r.IncrementalMillis, r.AllocsPerCycle, r.HeapMB)
	}
	row(fmt.Sprintf("main %d×%d GPUs, %d gangs", *nodes, *gpus, *workloads), mainCase)
	row("basic 5000 nodes, 10000 single pods", basic)
	out, _ := json.Marshal(mainCase)
	fmt.Println(string(out))
}

// measure times full cycles, then incremental ones on a planner holding the result.
func measure(s *scheduler.Snapshot, runs int) result {
	var r result
	for _, a := range scheduler.Schedule(s, now).Admit {
		r.pods += len(a.Placement)
	}
	times := make([]time.Duration, runs)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range times {
		start := time.Now()
		scheduler.Schedule(s, now)
		times[i] = time.Since(start)
	}
	runtime.ReadMemStats(&after)
	cycle := median(times)
	r.CycleMillis = ms(cycle)
	r.PodsPerSecond = float64(r.pods) / cycle.Seconds()
	r.AllocsPerCycle = float64(after.Mallocs-before.Mallocs) / float64(runs)
	r.IncrementalMillis, r.HeapMB = incremental(s)
	return r
}

// incremental loads a planner, plans once, then times Plan after each of up to 200
// admitted workloads is removed in turn. It also reports the heap the planner keeps.
func incremental(s *scheduler.Snapshot) (float64, float64) {
	runtime.GC()
	var base, held runtime.MemStats
	runtime.ReadMemStats(&base)
	p := scheduler.NewPlanner()
	for _, n := range s.Nodes {
		p.UpsertNode(n)
	}
	for _, ws := range s.Workspaces {
		p.UpsertWorkspace(ws)
	}
	for _, w := range s.Workloads {
		p.UpsertWorkload(w)
	}
	var running []string
	for _, a := range p.Plan(now).Admit {
		running = append(running, a.WorkloadID)
	}
	runtime.GC()
	runtime.ReadMemStats(&held)
	var times []time.Duration
	for len(running) > 0 && len(times) < 200 {
		start := time.Now()
		p.RemoveWorkload(running[0])
		for _, a := range p.Plan(now).Admit {
			running = append(running, a.WorkloadID)
		}
		times = append(times, time.Since(start))
		running = running[1:]
	}
	runtime.KeepAlive(p)
	heap := float64(int64(held.HeapAlloc)-int64(base.HeapAlloc)) / (1 << 20)
	return ms(median(times)), heap
}

func median(ts []time.Duration) time.Duration {
	if len(ts) == 0 {
		return 0
	}
	ts = slices.Clone(ts)
	slices.Sort(ts)
	return ts[len(ts)/2]
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func oneOf[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

// gangSnapshot is the main case, the same shape as the package's BenchmarkSchedule.
func gangSnapshot(nodes, gpus, workloads int) *scheduler.Snapshot {
	r := rand.New(rand.NewPCG(1, 2))
	s := &scheduler.Snapshot{Workspaces: []scheduler.Workspace{
		{ID: "w0", QueuePolicy: "fifo"}, {ID: "w1", QueuePolicy: "balance"}, {ID: "w2", QueuePolicy: "balance"},
	}}
	for i := range nodes {
		s.Nodes = append(s.Nodes, node(fmt.Sprintf("node-%05d", i), fmt.Sprint("w", i%3), gpus, 192000, 2048*gi))
	}
	for i := range workloads {
		gang := oneOf(r, 1, 2, 8, 16, 64)
		g := oneOf[int64](r, 1, 2, 4, 8)
		if gang >= 16 {
			g = 8
		}
		s.Workloads = append(s.Workloads, scheduler.Workload{
			ID: fmt.Sprintf("wl-%05d", i), Workspace: fmt.Sprint("w", r.IntN(3)), Priority: r.IntN(4),
			Created: now.Add(-time.Duration(i) * time.Second), Replica: gang,
			PerPod: resource.List{MilliCPU: 8000 * g, Memory: 64 * gi * g, GPU: g},
		})
	}
	return s
}

// basicSnapshot: nodes of 4 cpu and 32Gi, pods of 100m and 500Mi in one fifo workspace.
func basicSnapshot(nodes, pods int) *scheduler.Snapshot {
	s := &scheduler.Snapshot{Workspaces: []scheduler.Workspace{{ID: "ws", QueuePolicy: "fifo"}}}
	for i := range nodes {
		s.Nodes = append(s.Nodes, node(fmt.Sprintf("node-%05d", i), "ws", 0, 4000, 32*gi))
	}
	for i := range pods {
		s.Workloads = append(s.Workloads, scheduler.Workload{
			ID: fmt.Sprintf("pod-%05d", i), Workspace: "ws", Created: now.Add(-time.Duration(i) * time.Millisecond),
			Replica: 1, PerPod: resource.List{MilliCPU: 100, Memory: 500 << 20},
		})
	}
	return s
}

func node(name, ws string, gpus int, milliCPU, memory int64) scheduler.Node {
	n := scheduler.Node{
		Name: name, Workspace: ws, Ready: true,
		Capacity: resource.List{MilliCPU: milliCPU, Memory: memory, GPU: int64(gpus), EphemeralStorage: 1024 * gi},
	}
	for g := range gpus {
		n.GPUIndices = append(n.GPUIndices, g)
	}
	return n
}
