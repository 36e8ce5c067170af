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

// setSchedulable marks a node schedulable or not (a drain keeps new work off it).
func (r *Runner) setSchedulable(ctx context.Context, id string, schedulable bool) error {
	for range 8 {
		n, err := r.cfg.Store.NodeGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if n.Unschedulable == !schedulable {
			return nil
		}
		n.Unschedulable = !schedulable
		if err = r.cfg.Store.NodePut(ctx, n); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("node %s: %w", id, store.ErrConflict)
}

// changeWorkload applies change to a stored workload and writes it back, retrying on
// a conflict; change reports whether it changed anything. A missing workload is nil.
func (r *Runner) changeWorkload(ctx context.Context, id string, change func(w *workload.Workload) bool) error {
	for range 8 {
		w, err := r.cfg.Store.WorkloadGetAny(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !change(w) {
			return nil
		}
		if err = r.cfg.Store.WorkloadUpdate(ctx, w); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("workload %s: %w", id, store.ErrConflict)
}

// stopWorkload stops a workload the job created (and hides it when deleting); the
// controller stops its pods.
func (r *Runner) stopWorkload(ctx context.Context, id string, deleting bool) error {
	return r.changeWorkload(ctx, id, func(w *workload.Workload) bool {
		return workload.Stop(w, stopper, deleting, r.now())
	})
}

// podsOn returns the dispatched, unfinished workloads with a live pod on node.
func (r *Runner) podsOn(ctx context.Context, node string) ([]*workload.Workload, error) {
	live, err := r.cfg.Store.WorkloadListLive(ctx)
	if err != nil {
		return nil, err
	}
	var out []*workload.Workload
	for _, w := range live {
		if !w.Status.Dispatched {
			continue
		}
		for _, p := range w.Status.Placement {
			if p.Node == node {
				out = append(out, w)
				break
			}
		}
	}
	return out, nil
}

// setNode records the progress of one node, persisted at once.
func (r *Runner) setNode(ctx context.Context, id string, p opsjob.NodeProgress) error {
	_, err := r.updateRunning(ctx, id, func(j *opsjob.Job) error {
		for i := range j.Status.Nodes {
			if j.Status.Nodes[i].Node == p.Node {
				j.Status.Nodes[i] = p
				return nil
			}
		}
		j.Status.Nodes = append(j.Status.Nodes, p)
		return nil
	})
	return err
}
