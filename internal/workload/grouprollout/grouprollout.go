// Package grouprollout plans the rolling update of a ModelInfer's inference groups
// (seed 004's InferGroupRollingUpdate) one step at a time, counted in groups, as
// Kubernetes' StatefulSet controller plans a partitioned rollout of pods:
//
//   - groups of an ordinal at or above the partition move to the new template, from
//     the highest ordinal down; those below it keep what they run until the partition
//     is lowered (a group below it that has nothing yet starts on the new template);
//   - a group is replaced as a whole: its old instance (every pod of an older
//     template) goes, and its new instance (every pod of the new one) starts;
//   - the available instances (all pods there, running and ready) never fall below the
//     replicas less maxUnavailable because of a step: an available old instance goes
//     only when its ordinal's new instance is available, or when the others left
//     available are enough; one that is not available goes at once;
//   - a new instance starts beside its ordinal's old one (a surge) only while fewer
//     ordinals than the surge the caller has room for hold both;
//     without room for a surge, one group at least may be unavailable, so that a
//     rollout with maxUnavailable 0 still moves.
//
// Plan is pure: the caller reads the groups, applies the step, and asks again once
// anything changed, until the step is Done. The process runtime drives it; nothing in
// it depends on a runtime.
package grouprollout

import (
	"cmp"
	"slices"
)

// Limits bound a rollout, resolved to whole groups.
type Limits struct {
	// Partition is the lowest ordinal that moves to the new template.
	Partition int
	// MaxUnavailable is how many of the replicas may be unavailable because of the
	// rollout; MaxSurge how many instances may run beyond the replicas.
	MaxUnavailable, MaxSurge int
}

// Instance is one instance of a group: how many of its pods there are (0: none) and
// whether it is available, every pod of the group there, running and ready.
type Instance struct {
	Pods      int
	Available bool
}

// Group is what one ordinal holds when a step is planned.
type Group struct {
	Ordinal int
	// Size is the pods of the ordinal's instance when it is whole: those placed for it.
	Size int
	// Old is its instance of an older template; New its instance of the rollout's.
	Old, New Instance
	// Ending: pods of the ordinal that an earlier step removed have yet to end and give
	// back their names; a new instance under the same names waits for them.
	Ending bool
}

// Input is a rollout as it stands.
type Input struct {
	// Replicas is how many groups are wanted: ordinals 0 to Replicas-1. Instances of
	// a higher ordinal are removed at once.
	Replicas int
	Limits   Limits
	// SurgeRoom is how many instances beyond Replicas the caller has room for (an
	// admission for them); the surge is the least of it and MaxSurge.
	SurgeRoom int
	// Groups are the wanted ordinals and those that hold or held pods, in any order;
	// a wanted ordinal that is missing has no pod placed, so nothing to start.
	Groups []Group
}

// Ref names the instance of an ordinal that a step removes.
type Ref struct {
	Ordinal int
	// Old: the ordinal's instance of an older template; else its new instance.
	Old bool
}

// Launch is the new instance of an ordinal that a step starts, or completes where
// some of its pods run already.
type Launch struct {
	Ordinal int
	// Surge: it starts beside the ordinal's old instance, so its pods need names of
	// their own.
	Surge bool
}

// Step is what to do next: the instances to remove (every pod of each) and those to
// start; Done once every ordinal runs what the rollout asks and nothing is left to
// remove or to end.
type Step struct {
	Remove []Ref
	Start  []Launch
	Done   bool
}

// plan is the state Plan moves through: the groups by ordinal and the counts the
// limits are checked against.
type plan struct {
	in        Input
	groups    map[int]*Group
	available int // available instances of the wanted ordinals
	surging   int // wanted ordinals with an old and a new instance
	surge     int
	floor     int
	step      Step
}

// Plan is the next step of the rollout in (see the package comment).
func Plan(in Input) Step {
	p := newPlan(in)
	p.removeUnwanted()
	p.removeOld()
	p.startNew()
	p.step.Done = len(p.step.Remove) == 0 && len(p.step.Start) == 0 && p.settled()
	return p.step
}

func newPlan(in Input) *plan {
	p := &plan{in: in, groups: map[int]*Group{}}
	p.surge = max(0, min(in.Limits.MaxSurge, in.SurgeRoom))
	unavailable := max(0, in.Limits.MaxUnavailable)
	if p.surge == 0 {
		unavailable = max(unavailable, 1)
	}
	p.floor = in.Replicas - unavailable
	for i := range in.Groups {
		g := in.Groups[i]
		p.groups[g.Ordinal] = &g
		if g.Ordinal >= in.Replicas {
			continue
		}
		if g.Old.Pods > 0 && g.New.Pods > 0 {
			p.surging++
		}
		for _, inst := range []Instance{g.Old, g.New} {
			if inst.Available {
				p.available++
			}
		}
	}
	for o := range in.Replicas {
		if p.groups[o] == nil {
			p.groups[o] = &Group{Ordinal: o}
		}
	}
	return p
}

// descending is the ordinals from the highest down.
func (p *plan) descending() []*Group {
	gs := make([]*Group, 0, len(p.groups))
	for _, g := range p.groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *Group) int { return cmp.Compare(b.Ordinal, a.Ordinal) })
	return gs
}

func (p *plan) remove(g *Group, old bool) {
	p.step.Remove = append(p.step.Remove, Ref{Ordinal: g.Ordinal, Old: old})
	inst := &g.New
	if old {
		inst = &g.Old
	}
	if g.Ordinal < p.in.Replicas {
		if g.Old.Pods > 0 && g.New.Pods > 0 {
			p.surging--
		}
		if inst.Available {
			p.available--
		}
	}
	*inst, g.Ending = Instance{}, true
}

// removeUnwanted removes the instances of ordinals beyond the replicas, and a new
// instance below the partition that runs beside an old one (the partition was raised
// during a surge): that ordinal keeps its old template.
func (p *plan) removeUnwanted() {
	for _, g := range p.descending() {
		beyond := g.Ordinal >= p.in.Replicas
		if g.Old.Pods > 0 && beyond {
			p.remove(g, true)
		}
		if g.New.Pods > 0 && (beyond || (g.Ordinal < p.in.Limits.Partition && g.Old.Pods > 0)) {
			p.remove(g, false)
		}
	}
}

// removeOld removes the old instances at or above the partition that may go, from
// the highest ordinal down.
func (p *plan) removeOld() {
	for _, g := range p.descending() {
		if g.Ordinal >= p.in.Replicas || g.Ordinal < p.in.Limits.Partition || g.Old.Pods == 0 {
			continue
		}
		if !g.New.Available && g.Old.Available && p.available-1 < p.floor {
			continue
		}
		p.remove(g, true)
	}
}

// startNew starts the new instances the ordinals lack: first where nothing else runs
// (names free), then beside old instances while the surge allows.
func (p *plan) startNew() {
	var beside []*Group
	for _, g := range p.descending() {
		switch {
		case g.Ordinal >= p.in.Replicas, g.New.Pods >= g.Size:
		case g.Ordinal < p.in.Limits.Partition && g.Old.Pods > 0: // keeps its template
		case g.New.Pods > 0: // some of its pods run: the rest join them
			p.step.Start = append(p.step.Start, Launch{Ordinal: g.Ordinal, Surge: g.Old.Pods > 0})
		case g.Old.Pods > 0:
			beside = append(beside, g)
		case !g.Ending:
			p.step.Start = append(p.step.Start, Launch{Ordinal: g.Ordinal})
		}
	}
	for _, g := range beside {
		if p.surging >= p.surge {
			break
		}
		p.step.Start = append(p.step.Start, Launch{Ordinal: g.Ordinal, Surge: true})
		p.surging++
	}
}

// settled reports whether every ordinal runs what the rollout asks: the new template
// at or above the partition, whatever it runs below it, and nothing of any ordinal is
// left to end.
func (p *plan) settled() bool {
	for _, g := range p.groups {
		wanted := g.Ordinal < p.in.Replicas
		switch {
		case g.Ending, !wanted && g.Old.Pods+g.New.Pods > 0:
			return false
		case wanted && g.Ordinal >= p.in.Limits.Partition && (g.Old.Pods > 0 || g.New.Pods < g.Size):
			return false
		case wanted && g.Old.Pods == 0 && g.New.Pods < g.Size:
			return false
		}
	}
	return true
}
