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

// sameGroups reports whether the pods of specs are laid out in groups as req's are:
// a rollout can replace groups in place only where each group keeps its ranks.
func sameGroups(req runtime.StartRequest, specs []podSpec) bool {
	if req.Groups == nil {
		return true
	}
	return !slices.ContainsFunc(specs, func(s podSpec) bool {
		return s.Serving == nil || s.Serving.Group == nil || s.Serving.Group.Pods != req.Groups.Size
	})
}

// groupMembers are the views of one group's pods, by instance.
type groupMembers struct {
	old, current []podView
}

// planGroupRollout is the next step of a ModelInfer's rollout to req, given its pods.
func planGroupRollout(req runtime.StartRequest, pods []podView) rolloutStep {
	g := req.Groups
	size := max(g.Size, 1)
	in := grouprollout.Input{Replicas: len(req.Pods) / size, Size: size, Limits: g.Limits}
	groups, members := map[int]*grouprollout.Group{}, map[int]*groupMembers{}
	taken := map[string]bool{}
	for _, v := range pods {
		taken[v.spec.PodID] = true
		o := v.status.Rank / size
		if groups[o] == nil {
			groups[o], members[o] = &grouprollout.Group{Ordinal: o}, &groupMembers{}
		}
		if v.dropped {
			groups[o].Ending = true
			continue
		}
		inst, list := &groups[o].Old, &members[o].old
		if v.spec.Template == g.Template {
			inst, list = &groups[o].New, &members[o].current
		}
		inst.Pods++
		*list = append(*list, v)
	}
	for o, m := range members {
		groups[o].Old.Available = available(m.old, size)
		groups[o].New.Available = available(m.current, size)
		in.Groups = append(in.Groups, *groups[o])
	}
	plan := grouprollout.Plan(in)
	var step rolloutStep
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
	step.done = plan.Done
	return step
}

// available reports whether the views are a whole group, every pod running and ready.
func available(views []podView, size int) bool {
	return len(views) == size && !slices.ContainsFunc(views, func(v podView) bool {
		return !v.status.Live() || !v.status.Ready
	})
}
