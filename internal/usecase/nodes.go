package usecase

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Node phases as the API shows them.
const (
	NodePhaseReady    = "Ready"
	NodePhaseNotReady = "NotReady"
)

func nodeNotFound(id string) *Error {
	return newError(apiv1.CodeNodeNotFound, "Node %s not found.", id)
}

// nodeUse is what the dispatched workloads hold on one node.
type nodeUse struct {
	held      resource.List
	workloads []string
}

// ListNodes answers GET /api/v1/nodes?clusterId&workspaceId&available&offset&limit
// (limit -1: all): any authenticated user.
func (s *Service) ListNodes(ctx context.Context, _ *auth.User, q url.Values) (*apiv1.NodeList, error) {
	var fe workload.FieldErrors
	offset := intParam(q, "offset", 0, 0, -1, &fe)
	limit := intParam(q, "limit", DefaultListLimit, -1, MaxListLimit, &fe)
	available := q.Get("available")
	if available != "" && available != "true" && available != "false" {
		fe = append(fe, workload.FieldError{Field: "available", Rule: "must be true or false"})
	}
	if len(fe) > 0 {
		return nil, badRequest("invalid query: %s", fe.Error())
	}
	nodes, err := s.Store.NodeList(ctx)
	if err != nil {
		return nil, err
	}
	uses, err := s.nodeUses(ctx)
	if err != nil {
		return nil, err
	}
	cluster, ws := q.Get("clusterId"), q.Get("workspaceId")
	nodes = slices.DeleteFunc(nodes, func(n *inventory.Node) bool {
		return (cluster != "" && n.Cluster != cluster) || (ws != "" && n.Workspace != ws) ||
			(available != "" && (available == "true") != n.Available())
	})
	out := &apiv1.NodeList{TotalCount: len(nodes), Items: []apiv1.Node{}}
	nodes = nodes[min(offset, len(nodes)):]
	if limit >= 0 {
		nodes = nodes[:min(limit, len(nodes))]
	}
	for _, n := range nodes {
		out.Items = append(out.Items, nodeView(n, uses[n.ID]))
	}
	return out, nil
}

// GetNode answers GET /api/v1/nodes/{id}: any authenticated user.
func (s *Service) GetNode(ctx context.Context, _ *auth.User, id string) (*apiv1.Node, error) {
	n, err := s.node(ctx, id)
	if err != nil {
		return nil, err
	}
	uses, err := s.nodeUses(ctx)
	if err != nil {
		return nil, err
	}
	v := nodeView(n, uses[n.ID])
	return &v, nil
}

// PatchNode answers PATCH /api/v1/nodes/{id}: administrators set labels and taints.
func (s *Service) PatchNode(ctx context.Context, caller *auth.User, id string, req *apiv1.PatchNodeRequest) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to update node")
	}
	var fe workload.FieldErrors
	if req.Labels != nil {
		checkLabels(*req.Labels, &fe)
	}
	if req.Taints != nil {
		checkTaints(*req.Taints, &fe)
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	err := store.RetryOnConflict(ctx, func() error {
		n, err := s.node(ctx, id)
		if err != nil {
			return err
		}
		if req.Labels != nil {
			n.Labels = maps.Clone(*req.Labels)
		}
		if req.Taints != nil {
			n.Taints = slices.Clone(*req.Taints)
		}
		return s.Store.NodePut(ctx, n)
	})
	if err == nil {
		s.wake() // taints and labels change where workloads may go
	}
	return err
}

// node loads a node, answering 404 with the node code when missing.
func (s *Service) node(ctx context.Context, id string) (*inventory.Node, error) {
	n, err := s.Store.NodeGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nodeNotFound(id)
	}
	return n, err
}

// nodeUses sums, per node, what the replicas of dispatched workloads placed on it hold.
func (s *Service) nodeUses(ctx context.Context) (map[string]*nodeUse, error) {
	live, err := s.Store.WorkloadListLive(ctx)
	if err != nil {
		return nil, err
	}
	uses := map[string]*nodeUse{}
	for _, w := range live {
		perPod, err := workload.PerPod(&w.Spec)
		if !w.Dispatched() || err != nil {
			continue
		}
		for _, p := range w.Status.Placement {
			u := uses[p.Node]
			if u == nil {
				u = &nodeUse{}
				uses[p.Node] = u
			}
			u.held = u.held.Add(perPod)
			if !slices.Contains(u.workloads, w.ID) {
				u.workloads = append(u.workloads, w.ID)
			}
		}
	}
	return uses, nil
}

func nodeView(n *inventory.Node, use *nodeUse) apiv1.Node {
	if use == nil {
		use = &nodeUse{}
	}
	v := apiv1.Node{
		NodeID: n.ID, NodeName: n.Name, ClusterID: n.Cluster, WorkspaceID: n.Workspace,
		Phase: NodePhaseNotReady, Available: n.Available(), Unschedulable: n.Unschedulable,
		PrivateIP: n.PrivateIP, GPUVendor: n.GPUVendor, Labels: n.Labels, Taints: nonNil(n.Taints),
		TotalResources: n.Capacity.Strings(), AvailResources: n.Capacity.Sub(use.held).Strings(),
		Workloads: nonNil(use.workloads), CreationTime: workload.FormatTime(n.CreationTime),
	}
	if n.Ready {
		v.Phase = NodePhaseReady
	}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	return v
}

var (
	labelNameRe    = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	dnsSubdomainRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	taintEffects   = []string{"NoSchedule", "NoExecute", "PreferNoSchedule"}
)

const (
	labelKeyRule   = "must be a Kubernetes label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
	labelValueRule = "must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
)

// isLabelKey reports whether k is a Kubernetes qualified name, as label and taint keys are.
func isLabelKey(k string) bool {
	prefix, name, found := strings.Cut(k, "/")
	if !found {
		prefix, name = "", k
	} else if prefix == "" || len(prefix) > 253 || !dnsSubdomainRe.MatchString(prefix) {
		return false
	}
	return len(name) <= 63 && labelNameRe.MatchString(name)
}

func isLabelValue(v string) bool { return v == "" || (len(v) <= 63 && labelNameRe.MatchString(v)) }

func checkLabels(labels map[string]string, fe *workload.FieldErrors) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if !isLabelKey(k) {
			*fe = append(*fe, workload.FieldError{Field: "labels[" + k + "]", Rule: labelKeyRule})
		}
		if !isLabelValue(labels[k]) {
			*fe = append(*fe, workload.FieldError{Field: "labels[" + k + "]", Rule: "the value " + labelValueRule})
		}
	}
}

func checkTaints(taints []apiv1.Taint, fe *workload.FieldErrors) {
	for i, t := range taints {
		if !isLabelKey(t.Key) {
			*fe = append(*fe, workload.FieldError{Field: indexed("taints", i) + ".key", Rule: labelKeyRule})
		}
		if !isLabelValue(t.Value) {
			*fe = append(*fe, workload.FieldError{Field: indexed("taints", i) + ".value", Rule: labelValueRule})
		}
		if !slices.Contains(taintEffects, t.Effect) {
			*fe = append(*fe, workload.FieldError{Field: indexed("taints", i) + ".effect", Rule: "must be NoSchedule, NoExecute or PreferNoSchedule"})
		}
	}
}
