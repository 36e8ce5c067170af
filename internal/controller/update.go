package controller

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/workload"
)

// msgUpdateRetry begins the message of a service whose change in place is to be
// retried.
const msgUpdateRetry = "waiting to update the pods in place: "

// msgGrowWaits begins the message of a service that waits for room for the replicas
// a change in place adds.
const msgGrowWaits = "waiting for room for the new replicas: "

// update moves a running service to its changed spec: in place where its cluster's
// runtime can and each replica asks what it was admitted with (the dispatch stays:
// pods are replaced one by one on their nodes, dropped replicas go, added ones wait
// for the planner to find them room), else by stopping its pods and queueing it again.
// The change is recorded now and the runtime told at the next reconcile, after the
// record is saved.
func (c *Controller) update(w *workload.Workload, now time.Time) {
	u, ok := c.cfg.Runtime.(runtime.Updater)
	req := startRequest(w)
	inPlace := ok && workload.InPlace(w) && u.Updates(req)
	if w.Infer != nil { // its groups are replaced whole, where the runtime can
		g, rolls := c.cfg.Runtime.(runtime.GroupRoller)
		inPlace = inPlace && rolls && g.RollsGroups(req)
	}
	if !inPlace {
		workload.Restart(w, now)
		return
	}
	workload.UpdateInPlace(w, now)
	w.Status.Message, w.Status.QueuePosition = "", 0 // the planner says again if it waits
	c.markDirty(w.ID)
	if workload.Growing(w) {
		c.cfg.Log.Info("service waits for room to scale up in place", "workload", w.ID)
	}
}

// applyUpdate tells the runtime of a change in place that it has not been told of.
// A runtime that cannot make it after all restarts the service as a new dispatch.
func (c *Controller) applyUpdate(ctx context.Context, w *workload.Workload, now time.Time) {
	u, _ := c.cfg.Runtime.(runtime.Updater)
	req, err := c.request(ctx, w)
	if err == nil && u == nil {
		err = runtime.ErrUnsupported
	}
	if err == nil {
		err = u.Update(ctx, req)
	}
	switch {
	case err == nil:
		workload.UpdateApplied(w)
		if strings.HasPrefix(w.Status.Message, msgUpdateRetry) {
			w.Status.Message = ""
		}
	case errors.Is(err, runtime.ErrUnsupported), errors.Is(err, runtime.ErrRejected):
		// Queued again; a start the runtime rejects too fails w, saying why.
		c.cfg.Log.Warn("update pods in place; restarting instead", "workload", w.ID, "err", err)
		workload.Restart(w, now)
	default: // tried again at the next reconcile
		c.cfg.Log.Warn("update pods in place; will retry", "workload", w.ID, "err", err)
		w.Status.Message = msgUpdateRetry + err.Error()
	}
}

// growth describes to the planner the replicas a service waits to add in place: a
// gang of their own, queued as the service would be (its priority, its creation),
// each asking what the running ones hold.
func (c *Controller) growth(w *workload.Workload, sw scheduler.Workload) (scheduler.Workload, bool) {
	if !w.Active() || w.IsDeleted || !workload.Growing(w) {
		return scheduler.Workload{}, false
	}
	sw.Growth = true
	sw.Admitted, sw.Placement, sw.Preempted, sw.Rescheduled = false, nil, false, false
	sw.Replica = w.Spec.Resource.Replica - len(w.Status.Placement)
	sw.PerPod = w.Status.AdmittedPerPod
	if w.Infer != nil {
		return sw, c.inferGang(w, &sw)
	}
	return sw, true
}

// grown records the room the planner found for a service's added replicas; the
// runtime is told at its next reconcile.
func (c *Controller) grown(ctx context.Context, a scheduler.Admission, now time.Time) {
	id := a.WorkloadID
	w, live := c.live[id]
	placement, ok := c.growthPlacement(w, a.Placement)
	if !live || !workload.Growing(w) || !ok {
		c.planner.RemoveGrowth(id) // changed meanwhile: track says what holds
		if live {
			c.track(w)
		}
		return
	}
	workload.Grow(w, placement, now)
	if err := c.save(ctx, w); err != nil {
		c.cfg.Log.Error("record replicas added in place", "workload", id, "err", err)
	}
	c.markDirty(id)
}

// growthPlacement ranks the placement found for the replicas w waits to add: after
// its others, or for a ModelInfer at the ranks of the instances of its next gang. ok
// is false when the placement no longer fits what w waits for.
func (c *Controller) growthPlacement(w *workload.Workload, placement []workload.PodPlacement) ([]workload.PodPlacement, bool) {
	if w == nil {
		return nil, false
	}
	if w.Infer != nil {
		return inferRanks(w, placement)
	}
	if len(placement) != w.Spec.Resource.Replica-len(w.Status.Placement) {
		return nil, false
	}
	out := make([]workload.PodPlacement, len(placement))
	for i, p := range placement {
		p.Rank = len(w.Status.Placement) + i
		out[i] = p
	}
	return out, true
}
