package process

import (
	"slices"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
	"github.com/berth-dev/berth/internal/workload/grouprollout"
)

// A ModelInfer's rollout replaces its inference groups whole, as grouprollout.Plan
// says, from the pods Status reads: a group's pods of another template than the
// request's are its old instance, those of the request's its new one. Pods here
// hold the node room the planner admitted for their group's ranks and no more, so a
// new group never starts beside its old one (no surge: the plan is given no room for
// one); it starts under the same names once the old group's pods are gone.

var _ runtime.GroupRoller = (*Runtime)(nil)

// RollsGroups reports whether Update can roll the request's groups to their
// template: a ModelInfer with pods here whose groups keep their size.
func (r *Runtime) RollsGroups(req runtime.StartRequest) bool {
	return req.Groups != nil && r.Updates(req)
}

// podTemplate is the template a pod of req is made from.
func podTemplate(req runtime.StartRequest) string {
	if req.Groups != nil {
		return req.Groups.Template
	}
	return workload.PodTemplateHash(&req.Spec)
}

// sameGroups reports whether each pod of specs keeps in req the place it was made
// for (its group, role, entry or worker): groups are replaced in place only where
// their ranks keep their layout; a pod of a rank req drops goes anyway.
func sameGroups(req runtime.StartRequest, specs []podSpec) bool {
	if req.Groups == nil {
		return true
	}
	roles := map[int]*runtime.PodRole{}
	for _, p := range req.Pods {
		roles[p.Rank] = p.Role
	}
	return !slices.ContainsFunc(specs, func(s podSpec) bool {
		r := roles[s.Rank]
		if r == nil {
			return false
		}
		var g *groupServing
		if s.Serving != nil {
			g = s.Serving.Group
		}
		return g == nil || g.Group != r.Group || g.Role != r.Role || g.Entry != r.Entry
	})
}

// groupMembers are the views of one group's pods, by instance.
type groupMembers struct {
	old, current []podView
}

// planGroupRollout is the next step of a ModelInfer's rollout to req, given its pods.
// A group is whole with the pods the request places for it (all of them, or fewer
// while some of its instances wait for room); pods of ranks the request does not
// place stop at once.
func planGroupRollout(req runtime.StartRequest, pods []podView) rolloutStep {
	g := req.Groups
	size := max(g.Size, 1)
	groups, members := map[int]*grouprollout.Group{}, map[int]*groupMembers{}
	group := func(o int) *grouprollout.Group {
		if groups[o] == nil {
			groups[o], members[o] = &grouprollout.Group{Ordinal: o}, &groupMembers{}
		}
		return groups[o]
	}
	in := grouprollout.Input{Limits: g.Limits}
	wanted := map[int]bool{}
	for _, p := range req.Pods {
		wanted[p.Rank] = true
		group(p.Rank/size).Size++
		in.Replicas = max(in.Replicas, p.Rank/size+1)
	}
	var step rolloutStep
	taken := map[string]bool{}
	for _, v := range pods {
		taken[v.spec.PodID] = true
		gr := group(v.status.Rank / size)
		switch {
		case v.dropped:
			gr.Ending = true
		case !wanted[v.status.Rank]:
			step.drop = append(step.drop, v)
		case v.spec.Template == g.Template:
			gr.New.Pods++
			members[gr.Ordinal].current = append(members[gr.Ordinal].current, v)
		default:
			gr.Old.Pods++
			members[gr.Ordinal].old = append(members[gr.Ordinal].old, v)
		}
	}
	for o, m := range members {
		groups[o].Old.Available = available(m.old, groups[o].Size)
		groups[o].New.Available = available(m.current, groups[o].Size)
		in.Groups = append(in.Groups, *groups[o])
	}
	plan := grouprollout.Plan(in)
	for _, r := range plan.Remove {
		if r.Old {
			step.drop = append(step.drop, members[r.Ordinal].old...)
		} else {
			step.drop = append(step.drop, members[r.Ordinal].current...)
		}
	}
	for _, l := range plan.Start {
		for _, p := range req.Pods {
			if p.Rank/size == l.Ordinal && !taken[p.PodID] && !l.Surge {
				step.start = append(step.start, p)
			}
		}
	}
	step.done = plan.Done && len(step.drop) == 0
	return step
}

// available reports whether the views are a whole group of size pods, every one
// running and ready.
func available(views []podView, size int) bool {
	return size > 0 && len(views) == size && !slices.ContainsFunc(views, func(v podView) bool {
		return !v.status.Live() || !v.status.Ready
	})
}
