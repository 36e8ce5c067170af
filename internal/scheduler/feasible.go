package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// ReplicaResource names the replica count where an Unfit names what is short.
const ReplicaResource = "replica"

// Unfit says why a workload could never be placed on the nodes of its workspace, even
// with every node ready, untainted and empty.
type Unfit struct {
	// Node is a node the workload is pinned to that is not a node of its workspace.
	Node      string
	Workspace string
	// Resource is what is short: a resource name when a replica is bigger than the
	// nodes, ReplicaResource when the nodes together cannot hold every replica.
	Resource           string
	Request, Available string
	// On is the node that is too small, when w is pinned to it.
	On string
}

// Error says what is short, in the reference's words ("Insufficient resource: ...").
func (u *Unfit) Error() string {
	switch {
	case u.Node != "":
		return fmt.Sprintf("node %s is not a node of workspace %s", u.Node, u.Workspace)
	case u.Resource == ReplicaResource:
		return fmt.Sprintf("Insufficient resource: request.replica: %s, total.replica: %s", u.Request, u.Available)
	case u.On != "":
		return fmt.Sprintf("Insufficient resource: %s, request: %s, available: %s on node %s", u.Resource, u.Request, u.Available, u.On)
	}
	return fmt.Sprintf("Insufficient resource: %s, request: %s, available: %s", u.Resource, u.Request, u.Available)
}

// NeverFits reports why w could never be placed on the nodes of its workspace (of
// nodes, those whose Workspace is w's), or nil when it could once enough room is free.
// Readiness and taints are left out, since both change; so are customer labels other
// than the hostname. A workspace without nodes fits anything: nodes may be added.
func NeverFits(w *Workload, nodes []Node) *Unfit {
	var own []*Node
	for i := range nodes {
		if nodes[i].Workspace == w.Workspace {
			own = append(own, &nodes[i])
		}
	}
	if hosts := strings.Fields(w.CustomerLabels[workload.HostnameLabel]); len(hosts) > 0 {
		var named []*Node
		for _, h := range hosts {
			i := indexOfNode(own, h)
			if i < 0 {
				return &Unfit{Node: h, Workspace: w.Workspace}
			}
			named = append(named, own[i])
		}
		own = named
	}
	if len(own) == 0 {
		return nil
	}
	if len(w.Units) > 0 {
		return unitsTooBig(w, own)
	}
	return tooBig(w, own)
}

// unitsTooBig reports a pod of the required units of w bigger than every node, or
// those pods asking for more than the nodes hold together.
func unitsTooBig(w *Workload, nodes []*Node) *Unfit {
	var largest, total resource.List
	for _, n := range nodes {
		largest, total = largest.Max(n.Capacity), total.Add(n.Capacity)
	}
	unfit := func(short string, need, has resource.List) *Unfit {
		return &Unfit{Workspace: w.Workspace, Resource: short,
			Request: resource.Format(short, need.Get(short)), Available: resource.Format(short, has.Get(short))}
	}
	for _, pods := range unitPods(w, true) {
		for _, p := range pods {
			if !slices.ContainsFunc(nodes, func(n *Node) bool { ok, _ := p.req.Fits(n.Capacity); return ok }) {
				_, short := p.req.Fits(largest)
				return unfit(cmp.Or(short, resource.GPU), p.req, largest)
			}
		}
	}
	if ok, short := minNeed(w).Fits(total); !ok {
		return unfit(short, minNeed(w), total)
	}
	return nil
}

// tooBig reports a replica bigger than every node, or more replicas than the nodes
// hold together (one per node when w is pinned to them).
func tooBig(w *Workload, nodes []*Node) *Unfit {
	k := int64(max(minPods(w), 0))
	if w.OnePerNode {
		for _, n := range nodes {
			if ok, short := w.PerPod.Fits(n.Capacity); !ok {
				return &Unfit{Workspace: w.Workspace, Resource: short, On: n.Name,
					Request: resource.Format(short, w.PerPod.Get(short)), Available: resource.Format(short, n.Capacity.Get(short))}
			}
		}
	}
	var largest resource.List
	total := int64(0)
	for _, n := range nodes {
		largest = largest.Max(n.Capacity)
		r := room(n.Capacity, w.PerPod, k)
		if w.OnePerNode {
			r = min(r, 1)
		}
		total += r
		if total >= k {
			return nil
		}
	}
	if total == 0 {
		_, short := w.PerPod.Fits(largest)
		return &Unfit{Workspace: w.Workspace, Resource: short,
			Request: resource.Format(short, w.PerPod.Get(short)), Available: resource.Format(short, largest.Get(short))}
	}
	return &Unfit{Workspace: w.Workspace, Resource: ReplicaResource,
		Request: strconv.FormatInt(k, 10), Available: strconv.FormatInt(total, 10)}
}

func indexOfNode(nodes []*Node, name string) int {
	for i, n := range nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}
