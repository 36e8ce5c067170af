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

// msgNoGroups is the message of a ModelInfer of no group: it holds nothing and waits
// for its spec to ask for some.
const msgNoGroups = "no inference group to run: spec.replicas is 0"

// schedule settles dependencies, asks the planner for a plan and applies it.
func (c *Controller) schedule(ctx context.Context, now time.Time) error {
	if err := c.checkQueued(ctx, now); err != nil {
		return err
	}
	plan := c.planner.Plan(now)
	for _, p := range plan.Preempt {
		if err := c.preempt(ctx, p, now); err != nil {
			c.cfg.Log.Error("preempt", "victim", p.Victim, "for", p.For, "err", err)
		}
	}
	var admitted []*workload.Workload
	for _, a := range plan.Admit {
		if a.Growth {
			c.grown(ctx, a, now)
			continue
		}
		w, ok := c.live[a.WorkloadID]
		if !ok {
			continue
		}
		placement := a.Placement
		if w.Infer != nil {
			if placement, ok = inferRanks(w, placement); !ok {
				c.track(w) // changed meanwhile: the planner took it for its old gang
				continue
			}
		}
		if ok, err := c.admit(ctx, w, placement, now); err != nil {
			c.cfg.Log.Error("admit", "workload", a.WorkloadID, "err", err)
		} else if ok {
			admitted = append(admitted, w)
		}
	}
	c.startAll(ctx, admitted, now)
	for _, p := range plan.Pending {
		position, message := p.Position, p.Message
		w, ok := c.live[p.WorkloadID]
		switch {
		case ok && w.Infer != nil:
			message = groupsWait(w, p.Message)
		case p.Growth && ok:
			message = msgGrowWaits + p.Message // its position is its new replicas'
		}
		if !ok || (w.Status.QueuePosition == position && w.Status.Message == message) {
			continue
		}
		w.Status.QueuePosition, w.Status.Message = position, message
		if err := c.save(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// preempt marks a victim: its pods are stopped gracefully (the drain of a failover)
// and it goes back to the queue without spending a retry.
func (c *Controller) preempt(ctx context.Context, p scheduler.Preemption, now time.Time) error {
	w, ok := c.live[p.Victim]
	if !ok || !workload.Preempt(w, p.For, now) {
		return nil
	}
	c.cfg.Log.Info("workload preempted", "workload", w.ID, "for", p.For)
	c.markDirty(w.ID)
	return c.save(ctx, w)
}

// checkQueued fails the queued workloads that can never run (their workspace or a
// dependency is gone, a dependency failed, or the workspace's nodes could never hold
// them) and tells the planner which still wait
// for a dependency.
func (c *Controller) checkQueued(ctx context.Context, now time.Time) error {
	for _, w := range c.live {
		if w.Status.Stage != workload.StageQueued {
			continue
		}
		if w.Infer != nil && w.Spec.Resource.Replica == 0 {
			if w.Status.Message != msgNoGroups {
				w.Status.Message = msgNoGroups
				if err := c.save(ctx, w); err != nil {
					return err
				}
			}
			continue
		}
		if !c.spaces[w.Workspace()] {
			workload.Fail(w, "Workspace "+w.Workspace()+" not found.", now)
			if err := c.save(ctx, w); err != nil {
				return err
			}
			continue
		}
		if why := c.neverFits(w); why != "" {
			workload.Fail(w, why, now)
			if err := c.save(ctx, w); err != nil {
				return err
			}
			continue
		}
		if len(w.Spec.Dependencies) == 0 {
			continue
		}
		waiting, failure, err := c.dependencyState(ctx, w)
		if err != nil {
			return err
		}
		if failure != "" {
			workload.Fail(w, failure, now)
			if err := c.save(ctx, w); err != nil {
				return err
			}
			continue
		}
		if was, checked := c.waiting[w.ID]; !checked || was != waiting {
			c.waiting[w.ID] = waiting
			c.track(w)
		}
	}
	return nil
}

// dependencyState reports whether w still waits for a dependency, or why it never can run.
func (c *Controller) dependencyState(ctx context.Context, w *workload.Workload) (waiting bool, failure string, err error) {
	for _, id := range w.Spec.Dependencies {
		dep, ok := c.live[id]
		if !ok {
			dep, err = c.cfg.Store.WorkloadGetAny(ctx, id)
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
