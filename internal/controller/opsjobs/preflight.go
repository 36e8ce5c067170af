package opsjobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// preflightPriority is the priority of a preflight workload: high, as the reference's.
const preflightPriority = 2

// Outputs of a preflight node.
const (
	outputPassed = "passed"
	outputFailed = "failed: "
)

// preflight creates the job's workloads once: one per workspace its nodes are in,
// each pinned one replica per node at priority 2, which the planner admits like any
// other (a runner places nothing). The job stays Pending while they wait in the queue
// and runs once one runs. Once all have ended, each node's result becomes an output
// and failing nodes get a fault.
func (r *Runner) preflight(ctx context.Context, j *opsjob.Job) error {
	ws, err := r.preflightWorkloads(ctx, j.ID)
	if err != nil {
		return err
	}
	if len(ws) == 0 {
		return r.createPreflight(ctx, j)
	}
	if !slices.ContainsFunc(ws, waitsForPods) {
		return r.preflightDone(ctx, j, ws)
	}
	if slices.ContainsFunc(ws, isRunning) && j.Status.Phase != apiv1.OpsJobRunning {
		_, err = r.start(ctx, j.ID)
	}
	return err
}

func waitsForPods(w *workload.Workload) bool { return !w.Ended() || w.Dispatched() }

func isRunning(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseRunning }

// preflightID names the workload of the k-th workspace of a preflight job's nodes: the
// job's id for the first (usually the only one), then <id>-2, <id>-3...
func preflightID(jobID string, k int) string {
	if k == 0 {
		return jobID
	}
	return fmt.Sprintf("%s-%d", jobID, k+1)
}

// preflightWorkloads returns the job's workloads: none until all were created, as the
// first is inserted last.
func (r *Runner) preflightWorkloads(ctx context.Context, jobID string) ([]*workload.Workload, error) {
	var out []*workload.Workload
	for k := 0; ; k++ {
		w, err := r.cfg.Store.WorkloadGetAny(ctx, preflightID(jobID, k))
		if errors.Is(err, store.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
}

// stopPreflight stops the job's workloads, those of a creation cut short included:
// one per workspace of its nodes, so no more than it has nodes.
func (r *Runner) stopPreflight(ctx context.Context, j *opsjob.Job, deleting bool) error {
	for k := range max(1, len(j.InputValues(apiv1.InputNode))) {
		if err := r.stopWorkload(ctx, preflightID(j.ID, k), deleting); err != nil {
			return err
		}
	}
	return nil
}

// createPreflight builds the preflight workloads and queues them, Pending: the first
// last, so that finding it means all were stored.
func (r *Runner) createPreflight(ctx context.Context, j *opsjob.Job) error {
	if j.Status.Phase == "" {
		if _, err := r.updateRunning(ctx, j.ID, func(j *opsjob.Job) error {
			j.Status.Phase = apiv1.OpsJobPending
			return nil
		}); err != nil {
			return err
		}
	}
	nodes, err := r.jobNodes(ctx, j)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return r.fail(ctx, j.ID, "no nodes to run the preflight on")
	}
	groups := byWorkspace(nodes)
	ws := make([]*workload.Workload, len(groups))
	for k, g := range groups {
		if ws[k], err = preflightWorkload(j, preflightID(j.ID, k), g, r.now()); err != nil {
			return r.fail(ctx, j.ID, err.Error())
		}
	}
	for k := len(ws) - 1; k >= 0; k-- {
		if err := r.cfg.Store.WorkloadInsert(ctx, ws[k]); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	r.cfg.Log.Info("preflight workloads queued", "job", j.ID, "nodes", len(nodes), "workspaces", len(groups))
	return nil
}

// byWorkspace splits nodes sorted by name into one group per workspace, in the order
// of each workspace's first node: the planner admits a workload in one workspace.
func byWorkspace(nodes []*inventory.Node) [][]*inventory.Node {
	var groups [][]*inventory.Node
	at := map[string]int{}
	for _, n := range nodes {
		k, ok := at[n.Workspace]
		if !ok {
			k = len(groups)
			at[n.Workspace] = k
			groups = append(groups, nil)
		}
		groups[k] = append(groups[k], n)
	}
	return groups
}

// preflightWorkload is the workload of a preflight job: a PyTorchJob of one replica
// per node, pinned to them (the planner puts one replica on each named node), owned by
// the job's user, in the nodes' workspace (or, for nodes of none, the planner's pool of
// such nodes). It tolerates the taint of an earlier preflight's fault, which the check
// is run again to clear, and waits for room rather than preempting anything.
func preflightWorkload(j *opsjob.Job, id string, nodes []*inventory.Node, now time.Time) (*workload.Workload, error) {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	res := apiv1.WorkloadResource{CPU: "1", Memory: "1Gi"}
	if j.Resource != nil {
		res = *j.Resource
	}
	res.Replica = len(nodes)
	req := &apiv1.CreateWorkloadRequest{
		DisplayName: "preflight", Description: "preflight of ops job " + j.ID, WorkspaceID: nodes[0].Workspace,
		SpecifiedNodes: names,
		WorkloadSpec: apiv1.WorkloadSpec{
			Resource: res, Image: j.Image, EntryPoint: j.EntryPoint, Env: maps.Clone(j.Env),
			GroupVersionKind: apiv1.GroupVersionKind{Kind: apiv1.KindPyTorchJob, Version: "v1"},
			Priority:         preflightPriority, IsTolerateAll: j.IsTolerateAll || onlyPreflightFaults(nodes), Hostpath: j.Hostpath,
			CustomerLabels: map[string]string{workload.HostnameLabel: strings.Join(names, " ")},
		},
	}
	if j.TimeoutSecond > 0 {
		req.Timeout = &j.TimeoutSecond
	}
	workload.ApplyCreateDefaults(req)
	if fe := workload.ValidateSpec(&req.WorkloadSpec); len(fe) > 0 { // the rest is Berth's own
		return nil, fmt.Errorf("the preflight workload is invalid: %v", fe)
	}
	return &workload.Workload{
		ID: id, DisplayName: req.DisplayName, Description: req.Description, UserID: j.UserID,
		UserName: j.UserName, Cluster: firstNonEmpty(nodes[0].Cluster, j.Cluster), Spec: req.WorkloadSpec,
		OpsJob: j.ID, CreationTime: now, Status: workload.Status{Phase: apiv1.PhasePending},
	}, nil
}

// onlyPreflightFaults reports whether some node is tainted and every taint of the
// nodes is the one an earlier preflight's fault put there: a preflight runs again on
// such nodes (behaviour §6.3).
func onlyPreflightFaults(nodes []*inventory.Node) bool {
	t := nodefault.Taint(nodefault.MonitorPreflight)
	tainted := false
	for _, n := range nodes {
		for _, got := range n.Taints {
			if got != t {
				return false
			}
			tainted = true
		}
	}
	return tainted
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
