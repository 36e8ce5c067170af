package controller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// refresh brings the in-memory state up to date: the live workloads on first use,
// then what the change feed reports, and the nodes and workspaces when they changed.
func (c *Controller) refresh(ctx context.Context) error {
	if !c.loaded {
		if err := c.load(ctx); err != nil {
			return err
		}
	}
	for {
		changed, next, err := c.cfg.Store.WorkloadChangesSince(ctx, c.seq)
		if err != nil {
			return err
		}
		for _, w := range changed {
			if old, ok := c.live[w.ID]; ok && old.Version >= w.Version {
				continue // our own write, already tracked
			}
			c.track(w)
			c.dirty[w.ID] = true
		}
		done := next == c.seq || len(changed) == 0
		c.seq = next
		if done {
			break
		}
	}
	return c.refreshInventory(ctx)
}

// load reads the live workloads once; the change feed covers everything after.
func (c *Controller) load(ctx context.Context) error {
	_, seq, err := c.cfg.Store.WorkloadChangesSince(ctx, math.MaxInt64)
	if err != nil {
		return err
	}
	live, err := c.cfg.Store.WorkloadListLive(ctx)
	if err != nil {
		return err
	}
	for _, w := range live {
		c.track(w)
	}
	c.seq, c.loaded = seq, true
	return c.findOrphans(ctx)
}

// findOrphans notes the workloads the runtime holds pods or objects of that the store
// does not know or has released (a crash between a delete and its release, or objects
// made by hand with Berth's labels): removeOrphans removes them.
func (c *Controller) findOrphans(ctx context.Context) error {
	lister, ok := c.cfg.Runtime.(runtime.WorkloadLister)
	if !ok {
		return nil
	}
	c.lastOrphanScan = c.cfg.Now()
	ids, err := lister.WorkloadIDs(ctx)
	if err != nil {
		return fmt.Errorf("list the runtime's workloads: %w", err)
	}
	c.orphans = map[string]bool{}
	for _, id := range ids {
		if _, ok := c.live[id]; ok {
			continue
		}
		w, err := c.cfg.Store.WorkloadGetAny(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && w.Released()) {
			c.orphans[id] = true
		} else if err != nil {
			return err
		}
	}
	return nil
}

// removeOrphans stops and releases what belongs to no workload, until each is gone.
func (c *Controller) removeOrphans(ctx context.Context) {
	for id := range c.orphans {
		ref := runtime.Ref{WorkloadID: id} // of no known cluster: asked of every cluster
		err := c.cfg.Runtime.Stop(ctx, ref, 0)
		if err == nil {
			err = c.cfg.Runtime.Release(ctx, ref)
		}
		if err == nil {
			c.cfg.Log.Info("removed pods of no workload", "workload", id)
			delete(c.orphans, id)
		}
	}
}

// refreshInventory gives the planner the nodes and workspaces again when any changed.
func (c *Controller) refreshInventory(ctx context.Context) error {
	v, err := c.cfg.Store.InventoryChange(ctx)
	if err != nil || (v == c.inv && c.inv != 0) {
		return err
	}
	nodes, err := c.cfg.Store.NodeList(ctx)
	if err != nil {
		return err
	}
	spaces, err := c.cfg.Store.WorkspaceList(ctx)
	if err != nil {
		return err
	}
	seenNodes, down, spaceNodes := map[string]bool{}, map[string]string{}, map[string][]scheduler.Node{}
	for _, n := range nodes {
		seenNodes[n.Name] = true
		if why := downBecause(n); why != "" {
			down[n.Name] = why
		}
		sn := scheduler.Node{
			Name: n.Name, Workspace: n.Workspace, Capacity: n.Capacity, GPUIndices: gpuIndices(n.Capacity.GPU),
			Labels: n.Labels, Ready: n.Ready && !n.Unschedulable && n.Drain == "", Tainted: len(n.Taints) > 0,
		}
		c.planner.UpsertNode(sn)
		spaceNodes[n.Workspace] = append(spaceNodes[n.Workspace], sn)
	}
	// "" is the pool of the nodes of no workspace: only an ops job's check queues
	// there (users' workloads need a workspace), and nothing is preempted in it.
	seenSpaces := map[string]bool{"": true}
	cullAfter, homes := map[string]time.Duration{}, map[string]runtime.Home{}
	for _, ws := range spaces {
		seenSpaces[ws.ID] = true
		cullAfter[ws.ID] = time.Duration(ws.CullIdleAfterSeconds) * time.Second
		homes[ws.ID] = runtime.Home{StorageClass: ws.HomeStorageClass, Size: ws.HomeSize}
		c.planner.UpsertWorkspace(scheduler.Workspace{ID: ws.ID, QueuePolicy: ws.QueuePolicy, EnablePreempt: ws.EnablePreempt})
	}
	for name := range c.nodes {
		if !seenNodes[name] {
			c.planner.RemoveNode(name)
		}
	}
	for id := range c.spaces {
		if !seenSpaces[id] {
			c.planner.RemoveWorkspace(id)
		}
	}
	c.nodes, c.down, c.spaces, c.spaceNodes, c.inv = seenNodes, down, seenSpaces, spaceNodes, v
	c.cullAfter, c.homes = cullAfter, homes
	for _, w := range c.live {
		if w.Infer != nil && (len(w.Infer.Spec.TopologySpreadConstraints) > 0 || w.Infer.Spec.Template.GangSchedule != nil) {
			c.track(w) // its next group's domain, or the rest of its group's, depends on the nodes' labels
		}
	}
	return nil
}

// downBecause says why the pods on n must move off it: it is not Ready, or an ops job
// drains it (a reboot); "" when they may stay.
func downBecause(n *inventory.Node) string {
	if !n.Ready {
		return fmt.Sprintf("the node %s is not ready", n.Name)
	}
	return n.Drain
}

// track records the latest state of w in memory and tells the planner.
func (c *Controller) track(w *workload.Workload) {
	if w.Released() {
		delete(c.live, w.ID)
		delete(c.waiting, w.ID)
		delete(c.fitSeen, w.ID)
		delete(c.phases, w.ID)
		delete(c.samples, w.ID)
		c.planner.RemoveWorkload(w.ID)
		return
	}
	c.live[w.ID] = w
	c.notePhase(w)
	sw, ok := c.schedWorkload(w)
	if ok {
		if !w.Dispatched() {
			c.spreadGroup(w, &sw)
		}
		c.planner.UpsertWorkload(sw)
	} else {
		c.planner.RemoveWorkload(w.ID)
	}
	if g, grows := c.growth(w, sw); ok && grows {
		c.spreadGroup(w, &g)
		c.planner.UpsertWorkload(g)
	} else {
		c.planner.RemoveGrowth(w.ID)
	}
}

// schedWorkload describes w to the planner: admitted while its pods may hold
// resources, queued while it waits; ok is false when the planner need not see it.
func (c *Controller) schedWorkload(w *workload.Workload) (scheduler.Workload, bool) {
	perPod, err := workload.PerPod(&w.Spec)
	if err != nil {
		return scheduler.Workload{}, false // validated on create; an old bad row is left alone
	}
	sw := scheduler.Workload{
		ID: w.ID, Workspace: w.Workspace(), Priority: w.Spec.Priority, Created: w.CreationTime,
		Rescheduled: w.QueuesFirst(), PerPod: perPod, Replica: w.Spec.Resource.Replica,
		CustomerLabels: w.Spec.CustomerLabels, TolerateAll: w.Spec.IsTolerateAll,
		OnePerNode: len(workload.SpecifiedNodes(&w.Spec)) > 0, NoPreempt: w.OpsJob != "",
	}
	switch {
	case w.Dispatched():
		// Pods hold what they were admitted with, whatever a PATCH asks for next.
		sw.Admitted, sw.Placement = true, w.Status.Placement
		sw.Preempted = w.BeingPreempted()
		if len(w.Status.Releasing) > 0 { // dropped replicas hold their resources until gone
			sw.Placement = append(slices.Clone(sw.Placement), w.Status.Releasing...)
		}
		sw.PerPod = w.Status.AdmittedPerPod
		return sw, true
	case w.Ended() || w.IsDeleted || w.Paused():
		return sw, false
	}
	if w.Infer != nil && !c.inferGang(w, &sw) {
		return sw, false // no group asked for: nothing to admit (checkQueued says so)
	}
	sw.DependenciesWaiting = len(w.Spec.Dependencies) > 0 && c.waitingOnDeps(w.ID)
	if w.Status.DispatchCount == 0 {
		sw.NotBefore = cronStart(w)
	}
	return sw, true
}

// waitingOnDeps is what the last dependency check found (true until one ran).
func (c *Controller) waitingOnDeps(id string) bool {
	waiting, checked := c.waiting[id]
	return waiting || !checked
}

func gpuIndices(n int64) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
