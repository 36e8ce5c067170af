package postgres

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// benchWorkloads is how many workloads BenchmarkWorkloadList lists from.
const benchWorkloads = 100_000

var benchPhases = []string{apiv1.PhasePending, apiv1.PhaseRunning, apiv1.PhaseSucceeded, apiv1.PhaseFailed}

func benchWorkload(i int) *workload.Workload {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return &workload.Workload{
		ID:           fmt.Sprintf("w%07d", i),
		UserName:     fmt.Sprintf("user%d", i%50),
		Spec:         apiv1.WorkloadSpec{Workspace: fmt.Sprintf("ws%d", i%10), Image: "busybox", EntryPoint: "sleep 1"},
		Status:       workload.Status{Phase: benchPhases[i%len(benchPhases)]},
		CreationTime: base.Add(time.Duration(i) * time.Second),
	}
}

// BenchmarkWorkloadInsert reports creates per second from parallel writers.
func BenchmarkWorkloadInsert(b *testing.B) {
	s := openTemp(b)
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.WorkloadInsert(b.Context(), benchWorkload(int(next.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

// BenchmarkWorkloadList lists one workspace and phase, a page of 100, from
// benchWorkloads workloads, and reports the 99th percentile.
func BenchmarkWorkloadList(b *testing.B) {
	s := openTemp(b)
	start := time.Now()
	var wg sync.WaitGroup
	const writers = 8
	for g := range writers {
		wg.Go(func() {
			for i := g; i < benchWorkloads; i += writers {
				if err := s.WorkloadInsert(b.Context(), benchWorkload(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.Logf("%d inserts by %d writers: %.0f/s", benchWorkloads, writers, benchWorkloads/time.Since(start).Seconds())
	p := store.WorkloadListParams{Workspace: "ws3", Phases: []string{apiv1.PhaseRunning}, Limit: 100}
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if _, _, err := s.WorkloadList(b.Context(), p); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
