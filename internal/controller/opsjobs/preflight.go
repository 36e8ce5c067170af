package opsjobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
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

// preflight creates the job's workload once, a pinned priority-2 workload the planner
// admits one replica per node like any other (a runner places nothing), then follows
// its phase: the job stays Pending while the workload waits in the queue. Once it has
// ended, each node's result becomes an output and failing nodes get a fault.
func (r *Runner) preflight(ctx context.Context, j *opsjob.Job) error {
	w, err := r.cfg.Store.WorkloadGetAny(ctx, j.ID)
	if errors.Is(err, store.ErrNotFound) {
		return r.createPreflight(ctx, j)
	}
	if err != nil {
		return err
	}
	switch {
	case w.Ended() && !w.Status.Dispatched:
		return r.preflightDone(ctx, j, w)
	case w.Status.Phase == apiv1.PhaseRunning && j.Status.Phase != apiv1.OpsJobRunning:
		_, err = r.start(ctx, j.ID)
	case w.Status.Phase == apiv1.PhasePending && w.Status.Message != "":
		r.cfg.Log.Debug("preflight waits", "job", j.ID, "reason", w.Status.Message)
	}
	return err
}

// createPreflight builds the preflight workload and queues it, Pending.
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
	w, err := preflightWorkload(j, nodes, r.now())
	if err != nil {
		return r.fail(ctx, j.ID, err.Error())
	}
	if err := r.cfg.Store.WorkloadInsert(ctx, w); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	r.cfg.Log.Info("preflight workload queued", "job", j.ID, "nodes", len(nodes))
	return nil
}

// preflightWorkload is the workload of a preflight job: a PyTorchJob of one replica
// per node, pinned to them (the planner puts one replica on each named node), owned by
// the job's user, in the nodes' workspace. It tolerates the taint of an earlier
// preflight's fault, which the check is run again to clear.
func preflightWorkload(j *opsjob.Job, nodes []*inventory.Node, now time.Time) (*workload.Workload, error) {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	res := apiv1.WorkloadResource{CPU: "1", Memory: "1Gi"}
	if j.Resource != nil {
		res = *j.Resource
	}
	res.Replica = len(nodes)
	space := nodes[0].Workspace
	if space == "" {
		space = j.Workspace
	}
	req := &apiv1.CreateWorkloadRequest{
		DisplayName: "preflight", Description: "preflight of ops job " + j.ID, WorkspaceID: space,
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
	if fe := workload.ValidateCreate(req, now); len(fe) > 0 {
		return nil, fmt.Errorf("the preflight workload is invalid: %v", fe)
	}
	return &workload.Workload{
		ID: j.ID, DisplayName: req.DisplayName, Description: req.Description, UserID: j.UserID,
		UserName: j.UserName, Cluster: firstNonEmpty(nodes[0].Cluster, j.Cluster), Spec: req.WorkloadSpec,
		CreationTime: now, Status: workload.Status{Phase: apiv1.PhasePending},
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
