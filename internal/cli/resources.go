package cli

import (
	"context"
	"net/url"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// resources are what `berth get` lists.
var resources = []resource{
	{names: []string{"workloads", "workload", "wl"}, kind: "workload",
		filters: []string{flagWorkspace, flagPhase, flagKind, flagSelector},
		args:    anyArgs, fetch: fetchWorkloads, watch: watchWorkloads},
	{names: []string{"pods", "pod", "po"}, kind: "pod",
		args: oneID, fetch: fetchPods, watch: watchPods},
	{names: []string{"nodes", "node", "no"}, kind: "node",
		filters: []string{flagWorkspace, flagSelector}, args: noArgs, fetch: fetchNodes},
	{names: []string{"workspaces", "workspace", "ws"}, kind: "workspace", args: noArgs, fetch: fetchWorkspaces},
	{names: []string{"opsjobs", "opsjob", "oj"}, kind: "opsjob",
		filters: []string{flagPhase, flagKind}, args: anyArgs, fetch: fetchOpsJobs},
	{names: []string{"clusters", "cluster"}, kind: "cluster", args: noArgs, fetch: fetchClusters},
}

// detailList is the -o json|yaml body of a get of several ids.
type detailList[T any] struct {
	Items []T `json:"items"`
}

// one is the body of a get by ids: the object alone for one id, else a list.
func one[T any](items []T) any {
	if len(items) == 1 {
		return items[0]
	}
	return detailList[T]{Items: items}
}

func workloadView(g *getter, body any, items []apiv1.WorkloadListItem) *view {
	return newView("workload", body, items, workloadColumns(g.a.opts.Now()),
		func(w apiv1.WorkloadListItem) string { return w.WorkloadID }, g.wide())
}

func fetchWorkloads(ctx context.Context, g *getter, ids []string) (*view, error) {
	if len(ids) > 0 {
		return fetchWorkloadsByID(ctx, g, ids)
	}
	q := g.query(map[string]string{flagWorkspace: "workspaceId", flagPhase: "phase", flagKind: "kind"})
	items, err := allPages(q, func(q url.Values) (int, []apiv1.WorkloadListItem, error) {
		l, err := g.c.ListWorkloads(ctx, q)
		if err != nil {
			return 0, nil, err
		}
		return l.TotalCount, l.Items, nil
	})
	if err != nil {
		return nil, err
	}
	if items, err = g.labelled(ctx, items); err != nil {
		return nil, err
	}
	return workloadView(g, apiv1.WorkloadList{TotalCount: len(items), Items: items}, items), nil
}

func fetchWorkloadsByID(ctx context.Context, g *getter, ids []string) (*view, error) {
	var details []apiv1.WorkloadDetail
	var items []apiv1.WorkloadListItem
	for _, id := range ids {
		d, err := g.c.GetWorkload(ctx, id)
		if err != nil {
			return nil, err
		}
		details, items = append(details, *d), append(items, d.WorkloadListItem)
	}
	return workloadView(g, one(details), items), nil
}

// labelled keeps the workloads whose labels pass -l. The list does not carry
// labels, so each workload's detail is read.
func (g *getter) labelled(ctx context.Context, items []apiv1.WorkloadListItem) ([]apiv1.WorkloadListItem, error) {
	if g.sel == nil {
		return items, nil
	}
	var out []apiv1.WorkloadListItem
	for _, it := range items {
		d, err := g.c.GetWorkload(ctx, it.WorkloadID)
		if err != nil {
			return nil, err
		}
		if g.matches(d.CustomerLabels) {
			out = append(out, it)
		}
	}
	return out, nil
}

func podView(g *getter, d *apiv1.WorkloadDetail) *view {
	pods := d.Pods
	if pods == nil {
		pods = []apiv1.WorkloadPod{}
	}
	return newView("pod", pods, pods, podColumns(g.a.opts.Now()),
		func(p apiv1.WorkloadPod) string { return p.PodID }, g.wide())
}

func fetchPods(ctx context.Context, g *getter, args []string) (*view, error) {
	d, err := g.c.GetWorkload(ctx, args[0])
	if err != nil {
		return nil, err
	}
	return podView(g, d), nil
}

func fetchNodes(ctx context.Context, g *getter, _ []string) (*view, error) {
	q := g.query(map[string]string{flagWorkspace: "workspaceId"})
	all, err := allPages(q, func(q url.Values) (int, []apiv1.Node, error) {
		l, err := g.c.ListNodes(ctx, q)
		if err != nil {
			return 0, nil, err
		}
		return l.TotalCount, l.Items, nil
	})
	if err != nil {
		return nil, err
	}
	var items []apiv1.Node
	for _, n := range all {
		if g.matches(n.Labels) {
			items = append(items, n)
		}
	}
	return newView("node", apiv1.NodeList{TotalCount: len(items), Items: items}, items,
		nodeColumns(g.a.opts.Now()), func(n apiv1.Node) string { return n.NodeID }, g.wide()), nil
}

func fetchWorkspaces(ctx context.Context, g *getter, _ []string) (*view, error) {
	l, err := g.c.ListWorkspaces(ctx, nil)
	if err != nil {
		return nil, err
	}
	return newView("workspace", l, l.Items, workspaceColumns(g.a.opts.Now()),
		func(w apiv1.Workspace) string { return w.WorkspaceID }, g.wide()), nil
}

func fetchOpsJobs(ctx context.Context, g *getter, ids []string) (*view, error) {
	cols := opsJobColumns(g.a.opts.Now())
	id := func(j apiv1.OpsJobItem) string { return j.JobID }
	if len(ids) > 0 {
		var details []apiv1.OpsJobDetail
		var items []apiv1.OpsJobItem
		for _, jid := range ids {
			d, err := g.c.GetOpsJob(ctx, jid)
			if err != nil {
				return nil, err
			}
			details, items = append(details, *d), append(items, d.OpsJobItem)
		}
		return newView("opsjob", one(details), items, cols, id, g.wide()), nil
	}
	q := g.query(map[string]string{flagPhase: "phase", flagKind: "type"})
	items, err := allPages(q, func(q url.Values) (int, []apiv1.OpsJobItem, error) {
		l, err := g.c.ListOpsJobs(ctx, q)
		if err != nil {
			return 0, nil, err
		}
		return l.TotalCount, l.Items, nil
	})
	if err != nil {
		return nil, err
	}
	return newView("opsjob", apiv1.OpsJobList{TotalCount: len(items), Items: items}, items, cols, id, g.wide()), nil
}

func fetchClusters(ctx context.Context, g *getter, _ []string) (*view, error) {
	l, err := g.c.ListClusters(ctx, nil)
	if err != nil {
		return nil, err
	}
	return newView("cluster", l, l.Items, clusterColumns(g.a.opts.Now()),
		func(c apiv1.Cluster) string { return c.ClusterID }, g.wide()), nil
}
