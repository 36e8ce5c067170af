package usecase

import (
	"cmp"
	"context"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// Workspace phases as the API shows them.
const (
	WorkspacePhaseRunning  = "Running"
	WorkspacePhaseAbnormal = "Abnormal"
)

// workspaceInputs is what workspace views are computed from, loaded once per request.
type workspaceInputs struct {
	nodes []*inventory.Node
	users map[string]*auth.User
	// live is loaded only for quotas.
	live []*workload.Workload
}

func (s *Service) loadWorkspaceInputs(ctx context.Context, withLive bool) (*workspaceInputs, error) {
	nodes, err := s.Store.NodeList(ctx)
	if err != nil {
		return nil, err
	}
	users, err := s.Store.UserList(ctx)
	if err != nil {
		return nil, err
	}
	in := &workspaceInputs{nodes: nodes, users: make(map[string]*auth.User, len(users))}
	for _, u := range users {
		in.users[u.ID] = u
	}
	if withLive {
		if in.live, err = s.Store.WorkloadListLive(ctx); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// workspaceView shows a workspace; it is Abnormal when none of its nodes is available.
func workspaceView(ws *inventory.Workspace, in *workspaceInputs) apiv1.Workspace {
	v := apiv1.Workspace{
		WorkspaceID: ws.ID, WorkspaceName: ws.Name, ClusterID: ws.Cluster, UserID: ws.UserID,
		Phase: WorkspacePhaseAbnormal, CreationTime: workload.FormatTime(ws.CreationTime),
		Description: ws.Description, QueuePolicy: ws.QueuePolicy, Scopes: nonNil(ws.Scopes),
		EnablePreempt: ws.EnablePreempt, Managers: []apiv1.IDName{}, IsDefault: ws.IsDefault,
		ImageSecretIDs:       nonNil(ws.ImageSecretIDs),
		CullIdleAfterSeconds: ws.CullIdleAfterSeconds, HomeStorageClass: ws.HomeStorageClass,
		HomeSize: cmp.Or(ws.HomeSize, inventory.DefaultHomeSize), Namespace: ws.KubeNamespace(),
	}
	for _, n := range in.nodes {
		if n.Workspace != ws.ID {
			continue
		}
		v.CurrentNodeCount++
		if n.Available() {
			v.Phase = WorkspacePhaseRunning
		} else {
			v.AbnormalNodeCount++
		}
	}
	v.TargetNodeCount = v.CurrentNodeCount
	for _, id := range ws.Managers {
		m := apiv1.IDName{ID: id}
		if u := in.users[id]; u != nil {
			m.Name = u.Name
		}
		v.Managers = append(v.Managers, m)
	}
	return v
}

// addQuotas fills the quotas of a workspace: the capacity of its nodes, of its
// available nodes, what its dispatched workloads hold, and the capacity lost to
// nodes that are not available.
func addQuotas(v *apiv1.Workspace, ws *inventory.Workspace, in *workspaceInputs) {
	var total, avail, used resource.List
	for _, n := range in.nodes {
		if n.Workspace != ws.ID {
			continue
		}
		total = total.Add(n.Capacity)
		if n.Available() {
			avail = avail.Add(n.Capacity)
		}
	}
	for _, w := range in.live {
		if w.Workspace() != ws.ID || !w.Dispatched() {
			continue
		}
		if perPod, err := workload.PerPod(&w.Spec); err == nil {
			used = used.Add(perPod.Scale(int64(w.Spec.Resource.Replica)))
		}
	}
	v.TotalQuota = total.Strings()
	v.AvailQuota = avail.Strings()
	v.UsedQuota = used.Strings()
	v.AbnormalQuota = total.Sub(avail).Strings()
}
