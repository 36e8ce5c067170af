package controller

import (
	"fmt"
	"maps"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/workload"
)

// inferGang describes to the planner the gang a ModelInfer places next (its groups are
// admitted one by one): the instances of its first group not wholly placed, as units
// placed whole, each pod with its own request, those beyond their role's
// minRoleReplicas optional, packed by its network topology. The rest of a group admitted in part goes where the group is: in
// its domain of each DoNotSchedule spread constraint and, in hard mode, of its highest
// network tier. It reports false when every group is placed.
func (c *Controller) inferGang(w *workload.Workload, sw *scheduler.Workload) bool {
	gang, ok := workload.NextInferGang(w)
	if !ok {
		return false
	}
	sw.Replica, sw.Units = gang.Pods(), nil
	for _, u := range gang.Units {
		unit := scheduler.Unit{Pods: u.Pods, Optional: u.Optional, Requests: make([]resource.List, u.Pods)}
		for k := range u.Pods {
			if p, ok := workload.InferPodAt(&w.Infer.Spec, u.Rank+k); ok {
				unit.Requests[k] = workload.PodResources(&p.Template.Spec)
			}
		}
		sw.Units = append(sw.Units, unit)
	}
	tiers, hard := workload.NetworkTiers(&w.Infer.Spec)
	sw.Topology = nil
	if len(tiers) > 0 {
		sw.Topology = &scheduler.Topology{Tiers: tiers, Hard: hard}
	}
	if !gang.Partial {
		return true
	}
	var keys []string
	for _, tc := range w.Infer.Spec.TopologySpreadConstraints {
		if tc.WhenUnsatisfiable == apiv1.DoNotSchedule {
			keys = append(keys, tc.TopologyKey)
		}
	}
	if hard {
		keys = append(keys, tiers[len(tiers)-1])
	}
	c.pinToGroup(w, gang.Group, keys, sw)
	return true
}

// pinToGroup asks the planner to place sw on nodes that share, for each of keys, the
// label value of the node of the group's first placed pod.
func (c *Controller) pinToGroup(w *workload.Workload, group int, keys []string, sw *scheduler.Workload) {
	if len(keys) == 0 {
		return
	}
	size := workload.GroupSize(&w.Infer.Spec)
	node := ""
	for _, p := range w.Status.Placement {
		if p.Rank/size == group {
			node = p.Node
			break
		}
	}
	var labels map[string]string
	for _, n := range c.spaceNodes[w.Workspace()] {
		if n.Name == node {
			labels = n.Labels
		}
	}
	pinned := maps.Clone(sw.CustomerLabels)
	if pinned == nil {
		pinned = map[string]string{}
	}
	for _, k := range keys {
		if v, ok := labels[k]; ok {
			pinned[k] = v
		}
	}
	sw.CustomerLabels = pinned
}

// inferRanks gives the pods of a ModelInfer's gang, as the planner ranked them, their
// ranks in the workload; ok is false when the placement no longer fits its next gang.
func inferRanks(w *workload.Workload, placement []workload.PodPlacement) ([]workload.PodPlacement, bool) {
	gang, ok := workload.NextInferGang(w)
	if !ok {
		return nil, false
	}
	out := make([]workload.PodPlacement, len(placement))
	for i, p := range placement {
		if p.Rank = gang.Rank(p.Rank); p.Rank < 0 {
			return nil, false
		}
		out[i] = p
	}
	return out, true
}

// groupsWait is the message of a ModelInfer whose groups wait for the planner: how
// many groups, and instances of a group admitted with its minRoleReplicas, and why.
func groupsWait(w *workload.Workload, why string) string {
	size := max(workload.GroupSize(&w.Infer.Spec), 1)
	total := w.Spec.Resource.Replica / size
	placed := len(workload.GroupPods(w))
	how := "each all or nothing"
	if gs := w.Infer.Spec.Template.GangSchedule; gs != nil && len(gs.MinRoleReplicas) > 0 {
		how = "each once its minRoleReplicas fit"
	}
	what := fmt.Sprintf("%d of %d inference groups", total-placed, total)
	if gang, ok := workload.NextInferGang(w); ok && gang.Partial {
		what = fmt.Sprintf("%d of %d instances of inference group %d", len(gang.Units), workload.GroupInstances(&w.Infer.Spec), gang.Group)
		if total > placed {
			what += fmt.Sprintf(" and %d of %d inference groups", total-placed, total)
		}
	}
	return fmt.Sprintf("%s wait for room (admitted one by one, %s): %s", what, how, why)
}
