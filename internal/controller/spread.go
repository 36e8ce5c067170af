package controller

import (
	"maps"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/workload"
)

// spreadGroup confines the next group of a ModelInfer to the topology domain its
// DoNotSchedule spread constraints leave it: for each, the node label value with the
// fewest of its groups among those where one more keeps the skew within maxSkew (the
// lowest value on a tie), asked of the planner as a node label the group's pods must
// all have. A group that does not fit there waits. ScheduleAnyway constraints are
// preferences the planner has no way to weigh: they place anywhere.
func (c *Controller) spreadGroup(w *workload.Workload, sw *scheduler.Workload) {
	if w.Infer == nil {
		return
	}
	if gang, ok := workload.NextInferGang(w); ok && gang.Partial {
		return // the rest of a group goes where the group is (inferGang)
	}
	for _, tc := range w.Infer.Spec.TopologySpreadConstraints {
		if tc.WhenUnsatisfiable != apiv1.DoNotSchedule {
			continue
		}
		v, ok := c.leastUsedDomain(w, tc)
		if !ok {
			continue // no node of the workspace has the label: nothing to spread over
		}
		labels := maps.Clone(sw.CustomerLabels)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[tc.TopologyKey] = v
		sw.CustomerLabels = labels
	}
}

// leastUsedDomain is the value of the constraint's node label that w's next group
// may go to.
func (c *Controller) leastUsedDomain(w *workload.Workload, tc apiv1.TopologySpreadConstraint) (string, bool) {
	labelOf := map[string]string{}
	count := map[string]int{}
	for _, n := range c.spaceNodes[w.Workspace()] {
		if v, ok := n.Labels[tc.TopologyKey]; ok {
			labelOf[n.Name], count[v] = v, 0
		}
	}
	if len(count) == 0 {
		return "", false
	}
	if size := workload.GroupSize(&w.Infer.Spec); size > 0 && w.Dispatched() {
		seen := map[int]bool{}
		for _, p := range w.Status.Placement { // by rank: a group counts where its first placed pod runs
			if v, ok := labelOf[p.Node]; ok && !seen[p.Rank/size] {
				count[v]++
			}
			seen[p.Rank/size] = true
		}
	}
	least := slices.Min(slices.Collect(maps.Values(count)))
	best, found := "", false
	for _, v := range slices.Sorted(maps.Keys(count)) {
		if count[v]+1-least <= tc.MaxSkew && (!found || count[v] < count[best]) {
			best, found = v, true
		}
	}
	return best, found
}
