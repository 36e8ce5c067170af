package controller

import (
	"cmp"
	"slices"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// Metrics is what the control loops report as they work (internal/metrics turns it
// into Prometheus metrics). Its methods must not block.
type Metrics interface {
	// CycleDone: a control cycle took took.
	CycleDone(took time.Duration)
	// Admitted: pods pods of a workload of workspace were admitted.
	Admitted(workspace string, pods int)
	// DispatchFailed: starting the pods of a workload of workspace failed.
	DispatchFailed(workspace string)
	// Running: a workload of workspace reached Running on its first dispatch, wait
	// after it was submitted.
	Running(workspace string, wait time.Duration)
}

// nopMetrics reports nothing: the Metrics of a Config without any.
type nopMetrics struct{}

func (nopMetrics) CycleDone(time.Duration)       {}
func (nopMetrics) Admitted(string, int)          {}
func (nopMetrics) DispatchFailed(string)         {}
func (nopMetrics) Running(string, time.Duration) {}

// Stats is what the loops hold at the end of a full cycle, for gauges.
type Stats struct {
	// Workloads counts the live workloads (not yet released) by workspace and phase.
	Workloads []WorkloadCount
	// Queues describes each workspace's queue; workspaces with nothing queued are absent.
	Queues []QueueStat
}

// WorkloadCount is how many live workloads of a workspace are in a phase.
type WorkloadCount struct {
	Workspace, Phase string
	Count            int
}

// QueueStat is the queue of one workspace: how many workloads wait to be admitted,
// and when the oldest of them was submitted.
type QueueStat struct {
	Workspace string
	Length    int
	Oldest    time.Time
}

// stats counts what c holds now; c.mu is held.
func (c *Controller) stats() Stats {
	counts := map[[2]string]int{}
	queues := map[string]*QueueStat{}
	for _, w := range c.live {
		space := w.Workspace()
		counts[[2]string{space, w.Status.Phase}]++
		if w.Status.Stage != workload.StageQueued {
			continue
		}
		q := queues[space]
		if q == nil {
			q = &QueueStat{Workspace: space, Oldest: w.CreationTime}
			queues[space] = q
		}
		q.Length++
		if w.CreationTime.Before(q.Oldest) {
			q.Oldest = w.CreationTime
		}
	}
	var s Stats
	for k, n := range counts {
		s.Workloads = append(s.Workloads, WorkloadCount{Workspace: k[0], Phase: k[1], Count: n})
	}
	for _, q := range queues {
		s.Queues = append(s.Queues, *q)
	}
	slices.SortFunc(s.Workloads, func(a, b WorkloadCount) int {
		return cmp.Or(cmp.Compare(a.Workspace, b.Workspace), cmp.Compare(a.Phase, b.Phase))
	})
	slices.SortFunc(s.Queues, func(a, b QueueStat) int { return cmp.Compare(a.Workspace, b.Workspace) })
	return s
}

// Stats returns what the loops counted at the end of their last full cycle.
func (c *Controller) Stats() Stats {
	if s := c.published.Load(); s != nil {
		return *s
	}
	return Stats{}
}

// notePhase remembers w's phase and reports its first Running: the step from
// Pending to Running on its first dispatch. A workload first seen Running (loaded
// by a new leader) is not reported: its wait was reported by the leader before.
func (c *Controller) notePhase(w *workload.Workload) {
	prev, seen := c.phases[w.ID]
	c.phases[w.ID] = w.Status.Phase
	if seen && prev == apiv1.PhasePending && w.Status.Phase == apiv1.PhaseRunning && w.Status.DispatchCount == 1 {
		c.cfg.Metrics.Running(w.Workspace(), c.cfg.Now().Sub(w.CreationTime))
	}
}
