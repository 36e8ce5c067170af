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

// preflight creates the job's workload once, already placed one replica per node (it
// skips the queue; the controller starts its pods), then follows its phase. Once it
// has ended, each node's result becomes an output and failing nodes get a fault.
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
	}
	return err
}

// createPreflight builds and stores the preflight workload, admitted onto the nodes.
// While a node lacks free GPUs the job stays Pending and tries again on its next step.
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
	placement, err := r.placeOnePerNode(ctx, nodes, w)
	if err != nil {
		r.cfg.Log.Info("preflight waits for free GPUs", "job", j.ID, "reason", err)
		return nil
	}
	workload.Admit(w, placement, r.now())
	if err := r.cfg.Store.WorkloadInsert(ctx, w); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	r.cfg.Log.Info("preflight workload created", "job", j.ID, "nodes", len(nodes))
	return nil
}

// preflightWorkload is the workload of a preflight job: a PyTorchJob of one replica
// per node, pinned to them, owned by the job's user, in the nodes' workspace.
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
			Priority:         preflightPriority, IsTolerateAll: j.IsTolerateAll, Hostpath: j.Hostpath,
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

// placeOnePerNode puts rank i on nodes[i] with the lowest GPU indices that no other
// dispatched workload holds there. CPU and memory are not checked: a preflight is a
// short check that must run on exactly these nodes.
func (r *Runner) placeOnePerNode(ctx context.Context, nodes []*inventory.Node, w *workload.Workload) ([]workload.PodPlacement, error) {
	perPod, err := workload.PerPod(&w.Spec)
	if err != nil {
		return nil, err
	}
	held, err := r.heldGPUs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]workload.PodPlacement, len(nodes))
	for i, n := range nodes {
		out[i] = workload.PodPlacement{Rank: i, Node: n.Name}
		for g := 0; g < int(n.Capacity.GPU) && len(out[i].GPUs) < int(perPod.GPU); g++ {
			if !held[n.Name][g] {
				out[i].GPUs = append(out[i].GPUs, g)
			}
		}
		if len(out[i].GPUs) < int(perPod.GPU) {
			return nil, fmt.Errorf("node %s has %d free GPUs, %d needed", n.Name, len(out[i].GPUs), perPod.GPU)
		}
	}
	return out, nil
}

// heldGPUs is, per node name, the GPU indices dispatched workloads hold.
func (r *Runner) heldGPUs(ctx context.Context) (map[string]map[int]bool, error) {
	live, err := r.cfg.Store.WorkloadListLive(ctx)
	if err != nil {
		return nil, err
	}
	held := map[string]map[int]bool{}
	for _, w := range live {
		if !w.Status.Dispatched {
			continue
		}
		for _, p := range w.Status.Placement {
			if held[p.Node] == nil {
				held[p.Node] = map[int]bool{}
			}
			for _, g := range p.GPUs {
				held[p.Node][g] = true
			}
		}
	}
	return held, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
