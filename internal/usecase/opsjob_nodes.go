package usecase

import (
	"context"
	"errors"
	"slices"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/nodefault"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// placeOnNodes resolves the nodes of an addon or preflight job (behaviour §6.2): the
// node inputs when there are any; else the nodes of the workload's last dispatch, of
// the workspace, or of the cluster, less excludedNodes, each added as a node input. It
// sets the job's cluster (and workspace) and refuses nodes another unfinished job of
// the same type works on.
func (s *Service) placeOnNodes(ctx context.Context, j *opsjob.Job) ([]*inventory.Node, error) {
	nodes, err := s.jobNodes(ctx, j)
	if err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, badRequest("the nodes of ops-job is not specified: no node is left in the scope of the inputs")
	}
	for _, n := range nodes[1:] {
		if n.Cluster != nodes[0].Cluster {
			return nil, badRequest("inputs: the nodes of an ops job must belong to one cluster; %s is in %s, %s in %s",
				nodes[0].ID, nodes[0].Cluster, n.ID, n.Cluster)
		}
	}
	j.Cluster = nodes[0].Cluster
	if ws := j.InputValues(apiv1.InputWorkspace); j.Workspace == "" && len(ws) > 0 {
		j.Workspace = ws[0]
	}
	ids := j.InputValues(apiv1.InputNode)
	return nodes, s.checkBusy(ctx, j, func(other *opsjob.Job) bool {
		return slices.ContainsFunc(other.InputValues(apiv1.InputNode), func(n string) bool { return slices.Contains(ids, n) })
	})
}

// jobNodes returns the named nodes, or expands the scope into node inputs.
func (s *Service) jobNodes(ctx context.Context, j *opsjob.Job) ([]*inventory.Node, error) {
	if ids := j.InputValues(apiv1.InputNode); len(ids) > 0 {
		return s.namedNodes(ctx, ids)
	}
	inScope, err := s.nodeScope(ctx, j)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.NodeList(ctx)
	if err != nil {
		return nil, err
	}
	var nodes []*inventory.Node
	for _, n := range all {
		if inScope(n) && !slices.Contains(j.ExcludedNodes, n.ID) {
			nodes = append(nodes, n)
			j.Inputs = append(j.Inputs, apiv1.Parameter{Name: apiv1.InputNode, Value: n.ID})
		}
	}
	return nodes, nil
}

// nodeScope says which nodes the first scope input covers, in the order workload,
// workspace, cluster; the object it names must exist.
func (s *Service) nodeScope(ctx context.Context, j *opsjob.Job) (func(*inventory.Node) bool, error) {
	if ids := j.InputValues(apiv1.InputWorkload); len(ids) > 0 {
		w, err := s.Store.WorkloadGet(ctx, ids[0])
		if errors.Is(err, store.ErrNotFound) {
			return nil, workloadNotFound(ids[0])
		}
		if err != nil {
			return nil, err
		}
		j.Workspace = w.Workspace()
		var last []string
		if d := len(w.Status.Nodes); d > 0 {
			last = w.Status.Nodes[d-1]
		}
		return func(n *inventory.Node) bool { return slices.Contains(last, n.ID) }, nil
	}
	if ids := j.InputValues(apiv1.InputWorkspace); len(ids) > 0 {
		if _, err := s.workspace(ctx, ids[0]); err != nil {
			return nil, err
		}
		j.Workspace = ids[0]
		return func(n *inventory.Node) bool { return n.Workspace == ids[0] }, nil
	}
	if ids := j.InputValues(apiv1.InputCluster); len(ids) > 0 {
		if _, err := s.cluster(ctx, ids[0]); err != nil {
			return nil, err
		}
		return func(n *inventory.Node) bool { return n.Cluster == ids[0] }, nil
	}
	return nil, badRequest("the nodes of ops-job is not specified")
}

// namedNodes loads the nodes by id; each must exist.
func (s *Service) namedNodes(ctx context.Context, ids []string) ([]*inventory.Node, error) {
	nodes := make([]*inventory.Node, 0, len(ids))
	for _, id := range ids {
		n, err := s.Store.NodeGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nodeNotFound(id)
		}
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// checkBusy refuses j when another unfinished job of its type overlaps it.
func (s *Service) checkBusy(ctx context.Context, j *opsjob.Job, overlaps func(*opsjob.Job) bool) error {
	jobs, err := s.unfinishedOpsJobs(ctx)
	if err != nil {
		return err
	}
	for _, other := range jobs {
		if other.Type == j.Type && overlaps(other) {
			return opsJobBusy(other.ID, j.Type)
		}
	}
	return nil
}

// unfinishedOpsJobs returns the jobs that are neither deleted nor ended.
func (s *Service) unfinishedOpsJobs(ctx context.Context) ([]*opsjob.Job, error) {
	jobs, err := s.Store.OpsJobListActive(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(jobs, func(j *opsjob.Job) bool { return j.IsDeleted || j.Ended() }), nil
}

// preflightNodes keeps the nodes a preflight can run on and drops the others from the
// job's inputs (behaviour §6.3): a node that is not Ready, cordoned or drained, or
// tainted unless the job tolerates every taint - an earlier preflight's fault alone is
// no obstacle, the check runs again to clear it. None left is a 400 saying why each
// went; a node too small for one check pod is a 503, as for any workload.
func preflightNodes(j *opsjob.Job, nodes []*inventory.Node) ([]*inventory.Node, error) {
	perPod, err := workload.PerPod(&apiv1.WorkloadSpec{Resource: *j.Resource})
	if err != nil {
		return nil, badRequest("resource: %v", err)
	}
	var kept []*inventory.Node
	var dropped []string
	for _, n := range nodes {
		if why := preflightObstacle(j, n); why != "" {
			dropped = append(dropped, n.ID+" "+why)
			continue
		}
		if ok, short := perPod.Fits(n.Capacity); !ok {
			return nil, newError(apiv1.CodeQuotaInsufficient, "Insufficient resource: %s, request: %s, available: %s on node %s",
				short, resource.Format(short, perPod.Get(short)), resource.Format(short, n.Capacity.Get(short)), n.ID)
		}
		kept = append(kept, n)
	}
	if len(kept) == 0 {
		return nil, badRequest("opsjob nodes are either empty or unhealthy: %s", strings.Join(dropped, "; "))
	}
	j.Inputs = slices.DeleteFunc(j.Inputs, func(p apiv1.Parameter) bool {
		return p.Name == apiv1.InputNode && !slices.ContainsFunc(kept, func(n *inventory.Node) bool { return n.ID == p.Value })
	})
	return kept, nil
}

// preflightObstacle says why a preflight cannot run on n ("" if it can).
func preflightObstacle(j *opsjob.Job, n *inventory.Node) string {
	fault := nodefault.Taint(nodefault.MonitorPreflight)
	switch {
	case !n.Ready:
		return "is not ready"
	case n.Drain != "":
		return "is being drained (" + n.Drain + ")"
	case n.Unschedulable:
		return "is cordoned"
	case !j.IsTolerateAll && slices.ContainsFunc(n.Taints, func(t apiv1.Taint) bool { return t != fault }):
		return "is tainted (set isTolerateAll to run on it)"
	}
	return ""
}
