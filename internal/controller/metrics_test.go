package controller

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// recordedMetrics keeps what the controller reported.
type recordedMetrics struct {
	mu       sync.Mutex
	cycles   int
	admitted map[string]int
	failed   map[string]int
	running  []time.Duration
}

func (m *recordedMetrics) CycleDone(took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cycles++
}

func (m *recordedMetrics) Admitted(space string, pods int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.admitted[space] += pods
}

func (m *recordedMetrics) DispatchFailed(space string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed[space]++
}

func (m *recordedMetrics) Running(space string, wait time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running = append(m.running, wait)
}

// A job of two pods that runs and one that waits behind it: the metrics see the
// admission, the first Running once, and the stats the queue.
func TestMetricsReported(t *testing.T) {
	t.Parallel()
	m := &recordedMetrics{admitted: map[string]int{}, failed: map[string]int{}}
	e := newEnvConfig(t, nil, nil, func(c *Config) { c.Metrics = m })
	submitted := time.Now()
	runs := e.submit("runs", "sleep 30", func(s *apiv1.WorkloadSpec) { s.Resource.Replica, s.Resource.GPU = 2, "8" })
	e.waitFor(runs, "Running", phaseIs(apiv1.PhaseRunning))
	waits := e.submit("waits", "true", func(s *apiv1.WorkloadSpec) { s.Resource.GPU = "8" })
	e.waitFor(waits, "queued", func(w *workload.Workload) bool { return w.Status.QueuePosition > 0 })
	stats := pollStats(t, e.ctrl, func(s Stats) bool { return len(s.Queues) == 1 })
	if diff := cmp.Diff([]QueueStat{{Workspace: testWorkspace, Length: 1}}, stats.Queues,
		cmp.Comparer(func(a, b time.Time) bool { return true })); diff != "" {
		t.Errorf("queues (-want +got):\n%s", diff)
	}
	if q := stats.Queues[0]; q.Oldest.Before(submitted) {
		t.Errorf("oldest queued at %v, before the test submitted anything (%v)", q.Oldest, submitted)
	}
	if !hasCount(stats, apiv1.PhaseRunning, 1) || !hasCount(stats, apiv1.PhasePending, 1) {
		t.Errorf("workload counts %+v, want one Running and one Pending in %s", stats.Workloads, testWorkspace)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cycles == 0 {
		t.Error("no cycle reported")
	}
	if m.admitted[testWorkspace] < 2 {
		t.Errorf("admitted pods %v, want at least the 2 of %s", m.admitted, runs)
	}
	if len(m.running) != 1 || m.running[0] <= 0 || m.running[0] > time.Since(submitted) {
		t.Errorf("first runs reported %v, want one wait between 0 and %v", m.running, time.Since(submitted))
	}
}

func hasCount(s Stats, phase string, n int) bool {
	for _, c := range s.Workloads {
		if c.Workspace == testWorkspace && c.Phase == phase && c.Count == n {
			return true
		}
	}
	return false
}

// pollStats waits until the controller's published stats satisfy cond.
func pollStats(t *testing.T, c *Controller, cond func(Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s := c.Stats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never as wanted; last %+v", s)
		}
		<-tick.C
	}
}

// A start that fails is counted per workspace.
func TestMetricsDispatchFailed(t *testing.T) {
	t.Parallel()
	m := &recordedMetrics{admitted: map[string]int{}, failed: map[string]int{}}
	e := newEnvConfig(t, nil, nil, func(c *Config) {
		c.Metrics = m
		c.Secrets = func(context.Context, []apiv1.SecretRef) ([]runtime.Secret, error) {
			return nil, errors.New("the secret store is away")
		}
	})
	id := e.submit("secret", "true", func(s *apiv1.WorkloadSpec) { s.Secrets = []apiv1.SecretRef{{ID: "s1"}} })
	e.waitFor(id, "waiting to start", func(w *workload.Workload) bool { return strings.HasPrefix(w.Status.Message, msgStartRetry) })
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failed[testWorkspace] == 0 {
		t.Errorf("failed starts %v, want some in %s", m.failed, testWorkspace)
	}
}
