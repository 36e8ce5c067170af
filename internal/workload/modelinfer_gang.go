package workload

import (
	"strconv"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// NetworkTierLabelPrefix begins the node labels that place a node in the network: the
// value of berth.dev/network-tier-1 names its domain of tier 1 (the switch or rack of
// the closest nodes), that of berth.dev/network-tier-2 the domain above, and so on.
const NetworkTierLabelPrefix = "berth.dev/network-tier-"

// HighestTierAllowedDefault is the highest tier a group may span when its
// networkTopology names none (seed 004's API defaults it so).
const HighestTierAllowedDefault = 1

// NetworkTierLabel is the node label naming a node's domain of tier (1 and up).
func NetworkTierLabel(tier int) string { return NetworkTierLabelPrefix + strconv.Itoa(tier) }

// NetworkTiers are the node labels of the tiers a group of spec may span, the lowest
// first; nil when spec has no network topology.
func NetworkTiers(spec *apiv1.ModelInferSpec) (tiers []string, hard bool) {
	gs := spec.Template.GangSchedule
	if gs == nil || gs.NetworkTopology == nil {
		return nil, false
	}
	nt := gs.NetworkTopology
	highest := HighestTierAllowedDefault
	if nt.HighestTierAllowed != nil {
		highest = *nt.HighestTierAllowed
	}
	for t := 1; t <= highest; t++ {
		tiers = append(tiers, NetworkTierLabel(t))
	}
	return tiers, nt.Mode == apiv1.NetworkTopologyHard
}

// InferUnit is an instance of a role in a group: its entry pod and its workers, at
// consecutive ranks from Rank, placed together or not at all.
type InferUnit struct {
	Rank, Pods int
	// Optional: beyond the role's minRoleReplicas, so the group may start without it.
	Optional bool
}

// InferGang is what of a ModelInfer the planner places next: the instances of its
// first group not wholly placed (groups are admitted one by one).
type InferGang struct {
	Group int
	Units []InferUnit
	// Partial: some instances of the group are placed already; these are the rest.
	Partial bool
}

// Pods counts the pods of the gang.
func (g InferGang) Pods() int {
	n := 0
	for _, u := range g.Units {
		n += u.Pods
	}
	return n
}

// Rank is the rank in the workload of the gang's pod r (ranked unit by unit).
func (g InferGang) Rank(r int) int {
	for _, u := range g.Units {
		if r < u.Pods {
			return u.Rank + r
		}
		r -= u.Pods
	}
	return -1
}

// NextInferGang is the gang w places next: the instances of its first group not wholly
// placed in its current dispatch, those beyond a role's minRoleReplicas optional when
// none of the group is placed, all optional when some is; ok is false when every group
// is placed.
func NextInferGang(w *Workload) (InferGang, bool) {
	spec := &w.Infer.Spec
	size := GroupSize(spec)
	if size == 0 {
		return InferGang{}, false
	}
	placed := map[int]bool{}
	if w.Dispatched() {
		for _, p := range w.Status.Placement {
			placed[p.Rank] = true
		}
	}
	for g := range w.Spec.Resource.Replica / size {
		gang := InferGang{Group: g}
		all := groupUnits(spec, g*size)
		for _, u := range all {
			if placed[u.Rank] {
				gang.Partial = true
			} else {
				gang.Units = append(gang.Units, u)
			}
		}
		if len(gang.Units) == 0 {
			continue
		}
		if gang.Partial {
			for i := range gang.Units {
				gang.Units[i].Optional = true
			}
		}
		return gang, true
	}
	return InferGang{}, false
}

// groupUnits lists the instances of the group whose first rank is base, role by role,
// those beyond their role's minRoleReplicas optional.
func groupUnits(spec *apiv1.ModelInferSpec, base int) []InferUnit {
	var mins map[string]int
	if gs := spec.Template.GangSchedule; gs != nil {
		mins = gs.MinRoleReplicas
	}
	var out []InferUnit
	rank := base
	for _, r := range spec.Template.Roles {
		least, ok := mins[r.Name]
		if !ok {
			least = deref(r.Replicas)
		}
		for i := range deref(r.Replicas) {
			out = append(out, InferUnit{Rank: rank, Pods: 1 + r.WorkerReplicas, Optional: i >= least})
			rank += 1 + r.WorkerReplicas
		}
	}
	return out
}
