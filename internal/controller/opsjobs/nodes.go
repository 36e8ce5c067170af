package opsjobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Phases of a node's progress.
const (
	phasePending   = "Pending"
	phaseRunning   = "Running"
	phaseSucceeded = "Succeeded"
	phaseFailed    = "Failed"
)

// stopper is who the runner stops workloads on behalf of.
const stopper = "opsjob"

// jobNodes returns the job's nodes, less the excluded ones, sorted by name. A node
// input naming no stored node is returned with only its ID.
func (r *Runner) jobNodes(ctx context.Context, j *opsjob.Job) ([]*inventory.Node, error) {
	var out []*inventory.Node
	seen := map[string]bool{}
	for _, id := range j.InputValues(apiv1.InputNode) {
		if seen[id] || slices.Contains(j.ExcludedNodes, id) {
			continue
		}
		seen[id] = true
		n, err := r.cfg.Store.NodeGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			n = &inventory.Node{ID: id, Name: id}
		} else if err != nil {
			return nil, err
		}
		if slices.Contains(j.ExcludedNodes, n.Name) {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// clearJobFaults clears the open addon and reboot faults the job raised; preflight
// faults stay until an administrator clears them.
func (r *Runner) clearJobFaults(ctx context.Context, j *opsjob.Job) error {
	faults, err := r.cfg.Store.FaultList(ctx, true)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range faults {
		if f.JobID != j.ID || f.MonitorID == nodefault.MonitorPreflight {
			continue
		}
		errs = append(errs, nodefault.Clear(ctx, r.cfg.Store, f.ID, r.now()))
	}
	return errors.Join(errs...)
}

// setDrain records the intent to drain a node, why being the message its workloads
// fail over with, and marks it unschedulable; "" clears the intent and puts the node
// back in service. The controller carries the intent out.
func (r *Runner) setDrain(ctx context.Context, id, why string) error {
	err := store.RetryOnConflict(ctx, func() error {
		n, err := r.cfg.Store.NodeGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || (n.Drain == why && n.Unschedulable == (why != "")) {
			return err
		}
		n.Drain, n.Unschedulable = why, why != ""
		return r.cfg.Store.NodePut(ctx, n)
	})
	if err != nil {
		return fmt.Errorf("node %s: %w", id, err)
	}
	return nil
}

// stopWorkload asks, as the API's stop does, for a workload the job created to stop
// (and hides it when deleting), retrying on a conflict; the controller stops its pods.
// A missing workload is nil.
func (r *Runner) stopWorkload(ctx context.Context, id string, deleting bool) error {
	err := store.RetryOnConflict(ctx, func() error {
		w, err := r.cfg.Store.WorkloadGetAny(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || !workload.Stop(w, stopper, deleting, r.now()) {
			return err
		}
		return r.cfg.Store.WorkloadUpdate(ctx, w)
	})
	if err != nil {
		return fmt.Errorf("workload %s: %w", id, err)
	}
	return nil
}

// podsOn returns the dispatched workloads placed on node: it is idle once there are
// none.
func (r *Runner) podsOn(ctx context.Context, node string) ([]*workload.Workload, error) {
	return r.dispatched(ctx, func(w *workload.Workload) bool {
		return slices.ContainsFunc(w.Status.Placement, func(p workload.PodPlacement) bool { return p.Node == node })
	})
}

// runningOn returns the dispatched workloads that run on node (Workload.RunsOn): a
// drained node is empty once there are none, as the controller fails them over.
func (r *Runner) runningOn(ctx context.Context, node string) ([]*workload.Workload, error) {
	return r.dispatched(ctx, func(w *workload.Workload) bool { return slices.Contains(w.RunsOn(), node) })
}

// dispatched returns the dispatched workloads that match.
func (r *Runner) dispatched(ctx context.Context, match func(*workload.Workload) bool) ([]*workload.Workload, error) {
	live, err := r.cfg.Store.WorkloadListLive(ctx)
	if err != nil {
		return nil, err
	}
	var out []*workload.Workload
	for _, w := range live {
		if w.Dispatched() && match(w) {
			out = append(out, w)
		}
	}
	return out, nil
}

// setNode records the progress of one node, persisted at once.
func (r *Runner) setNode(ctx context.Context, id string, p opsjob.NodeProgress) error {
	_, err := r.updateRunning(ctx, id, func(j *opsjob.Job) error {
		setProgress(j, p)
		return nil
	})
	return err
}

// setProgress replaces the progress of p's node, or adds it.
func setProgress(j *opsjob.Job, p opsjob.NodeProgress) {
	for i := range j.Status.Nodes {
		if j.Status.Nodes[i].Node == p.Node {
			j.Status.Nodes[i] = p
			return
		}
	}
	j.Status.Nodes = append(j.Status.Nodes, p)
}
