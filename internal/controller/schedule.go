package controller

import (
	"context"
	"errors"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// schedule builds the scheduler's snapshot from the live workloads, the nodes and the
// workspaces, and applies the plan it returns.
func (c *Controller) schedule(ctx context.Context, live []*workload.Workload, now time.Time) error {
	snap, byID, err := c.snapshot(ctx, live, now)
	if err != nil {
		return err
	}
	plan := scheduler.Schedule(snap, now)
	for _, a := range plan.Admit {
		if err := c.dispatch(ctx, byID[a.WorkloadID], a.Placement, now); err != nil && !errors.Is(err, store.ErrConflict) {
			c.cfg.Log.Error("dispatch", "workload", a.WorkloadID, "err", err)
		}
	}
	for _, p := range plan.Pending {
		w := byID[p.WorkloadID]
		if w.Status.QueuePosition == p.Position && w.Status.Message == p.Message {
			continue
		}
		w.Status.QueuePosition, w.Status.Message = p.Position, p.Message
		if err := c.cfg.Store.WorkloadUpdate(ctx, w); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return nil
}

func (c *Controller) snapshot(ctx context.Context, live []*workload.Workload, now time.Time) (*scheduler.Snapshot, map[string]*workload.Workload, error) {
	nodes, err := c.cfg.Store.NodeList(ctx)
	if err != nil {
		return nil, nil, err
	}
	spaces, err := c.cfg.Store.WorkspaceList(ctx)
	if err != nil {
		return nil, nil, err
	}
	snap := &scheduler.Snapshot{}
	for _, n := range nodes {
		snap.Nodes = append(snap.Nodes, scheduler.Node{
			Name: n.Name, Workspace: n.Workspace, Capacity: n.Capacity, GPUIndices: gpuIndices(n.Capacity.GPU),
			Labels: n.Labels, Ready: n.Ready && !n.Unschedulable, Tainted: len(n.Taints) > 0,
		})
	}
	for _, ws := range spaces {
		snap.Workspaces = append(snap.Workspaces, scheduler.Workspace{ID: ws.ID, QueuePolicy: ws.QueuePolicy, EnablePreempt: ws.EnablePreempt})
	}
	byID := make(map[string]*workload.Workload, len(live))
	for _, w := range live {
		byID[w.ID] = w
	}
	deps := dependencyChecker{ctx: ctx, store: c.cfg.Store, live: byID}
	for _, w := range live {
		sw, ok, err := c.snapshotWorkload(ctx, w, &deps, now)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			snap.Workloads = append(snap.Workloads, sw)
		}
	}
	return snap, byID, nil
}

// snapshotWorkload describes w to the scheduler: admitted when its pods may hold
// resources, queued when it waits; ok is false when the scheduler need not see it.
func (c *Controller) snapshotWorkload(ctx context.Context, w *workload.Workload, deps *dependencyChecker, now time.Time) (scheduler.Workload, bool, error) {
	perPod, err := workload.PerPod(&w.Spec)
	if err != nil {
		return scheduler.Workload{}, false, nil // validated on create; an old bad row is left alone
	}
	sw := scheduler.Workload{
		ID: w.ID, Workspace: w.Workspace(), Priority: w.Spec.Priority, Created: w.CreationTime,
		Rescheduled: w.Status.Rescheduled, PerPod: perPod, Replica: w.Spec.Resource.Replica,
		CustomerLabels: w.Spec.CustomerLabels, TolerateAll: w.Spec.IsTolerateAll,
	}
	switch {
	case w.Status.Dispatched:
		sw.Admitted, sw.Placement = true, w.Status.Placement
		return sw, true, nil
	case w.Ended() || w.IsDeleted:
		return sw, false, nil
	}
	waiting, failure, err := deps.check(w)
	if err != nil {
		return sw, false, err
	}
	if failure != "" {
		workload.Fail(w, failure, now)
		return sw, false, c.save(ctx, w, true)
	}
	sw.DependenciesWaiting = waiting
	if w.Status.DispatchCount == 0 {
		sw.NotBefore = cronStart(w)
	}
	return sw, true, nil
}

// cronStart is the latest start cron time of w (zero when none).
func cronStart(w *workload.Workload) time.Time {
	var t time.Time
	for _, cj := range w.Spec.CronJobs {
		if cj.Action != "start" {
			continue
		}
		if at, err := workload.ParseCronTime(cj.Schedule); err == nil && at.After(t) {
			t = at
		}
	}
	return t
}

func gpuIndices(n int64) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// dependencyChecker answers whether a workload's dependencies have succeeded.
type dependencyChecker struct {
	ctx   context.Context
	store store.Store
	live  map[string]*workload.Workload
}

// check reports whether w still waits for a dependency, or why it can never run.
func (d *dependencyChecker) check(w *workload.Workload) (waiting bool, failure string, err error) {
	for _, id := range w.Spec.Dependencies {
		dep, ok := d.live[id]
		if !ok {
			dep, err = d.store.WorkloadGetAny(d.ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return false, "dependency workload " + id + " not found", nil
			}
			if err != nil {
				return false, "", err
			}
		}
		switch dep.Status.Phase {
		case apiv1.PhaseSucceeded:
		case apiv1.PhaseFailed, apiv1.PhaseStopped:
			return false, "dependency workload " + id + " failed", nil
		default:
			waiting = true
		}
	}
	return waiting, "", nil
}
