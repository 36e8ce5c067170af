package kube

import (
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
	"github.com/berth-dev/berth/internal/workload/grouprollout"
)

// A changed group template rolls a ModelInfer's groups in place, within its dispatch,
// as grouprollout.Plan says: each pod is labelled with the group template it was made
// from (workload.InferTemplateHash); a group whose pods carry another one than the
// record's is its old instance, and the sync deletes it whole and makes it again from
// the record's template, from the highest ordinal down to the partition, while the
// available groups (every pod running and ready) stay within maxUnavailable.
//
// The rollout's state is in the record, so that a restarted server, or another one
// taking the lead, carries it on: the ordinals that still run an older template
// (oldGroups) and those templates (oldTemplates), from which a pod of such a group
// below the partition is made again when it fails. A new instance never starts beside
// its old one (no surge, as on the process runtime): its pods take the names and
// hostnames of the old ones, and the planner admitted the group's ranks only.

var _ runtime.GroupRoller = (*Runtime)(nil)

// RollsGroups reports whether Update can roll the request's groups to their template
// in place: a ModelInfer whose record, where it has one, lays its groups out as the
// request does (each rank keeps its role, instance and worker index).
func (r *Runtime) RollsGroups(req runtime.StartRequest) bool {
	if req.Groups == nil || req.Infer == nil || !r.Updates(req) {
		return false
	}
	objects, _ := r.objects(req.WorkloadID)
	for _, o := range objects {
		if o.gvr == configMaps && o.GetLabels()[LabelDispatch] == strconv.Itoa(req.Dispatch) {
			rec, err := readRecord(o.Unstructured)
			return err == nil && sameLayout(&rec.Infer, req.Infer)
		}
	}
	return true
}

// sameLayout reports whether every rank of a group holds the same place in a and b.
func sameLayout(a, b *apiv1.ModelInferSpec) bool {
	size := workload.GroupSize(a)
	if size != workload.GroupSize(b) {
		return false
	}
	one := 1
	ga, gb := *a, *b
	ga.Replicas, gb.Replicas = &one, &one
	for rank := range size {
		pa, _ := workload.InferPodAt(&ga, rank)
		pb, _ := workload.InferPodAt(&gb, rank)
		if pa.Role != pb.Role || pa.RoleIndex != pb.RoleIndex || pa.Worker != pb.Worker {
			return false
		}
	}
	return true
}

// onTemplate reports whether pod p was made from the record's group template (or, by
// an earlier Berth, from its workload spec).
func onTemplate(rec *inferRecord, p *corev1.Pod) bool {
	t := p.Labels[LabelTemplate]
	return t == workload.InferTemplateHash(&rec.Infer) || t == workload.PodTemplateHash(&rec.Spec)
}

// carryRollout gives next, the record that replaces prev, the groups that run another
// template than next's: those whose live pods of the dispatch (pods) run one, and
// those without pods that prev recorded so.
func carryRollout(prev, next *inferRecord, pods []*corev1.Pod) {
	templates := maps.Clone(prev.OldTemplates)
	if templates == nil {
		templates = map[string]apiv1.InferGroup{}
	}
	templates[workload.InferTemplateHash(&prev.Infer)] = prev.Infer.Template
	runs := maps.Clone(prev.OldGroups)
	if runs == nil {
		runs = map[int]string{}
	}
	for _, p := range live(pods) {
		if g, err := strconv.Atoi(p.Labels[LabelInferGroup]); err == nil {
			runs[g] = p.Labels[LabelTemplate]
			if onTemplate(prev, p) {
				runs[g] = workload.InferTemplateHash(&prev.Infer)
			}
		}
	}
	now := workload.InferTemplateHash(&next.Infer)
	next.OldGroups, next.OldTemplates = nil, nil
	for g, t := range runs {
		tmpl, known := templates[t]
		if t == now || !known {
			continue // a template no record holds any more: the group moves on
		}
		if next.OldGroups == nil {
			next.OldGroups, next.OldTemplates = map[int]string{}, map[string]apiv1.InferGroup{}
		}
		next.OldGroups[g], next.OldTemplates[t] = t, tmpl
	}
}

// inferStep is what a sync does to a dispatch's pods: delete some, make the pods of
// some ranks (from the template the group runs: the record's, or an older one), and
// forget the older template of the groups that no longer run it.
type inferStep struct {
	remove []*corev1.Pod
	create []int
	forget []int
}

// rollGroup is what one ordinal holds: its pods of an older template and of the
// record's.
type rollGroup struct {
	old, current []*corev1.Pod
}

// planInfer is the next step for the pods of the dispatch rec records, placed as
// placement says: the missing pods of a group below the partition that runs an older
// template are made from it, everything else is grouprollout.Plan's. Pods that ended,
// or whose rank the placement dropped, are the sync's to delete; they and the pods
// of other dispatches hold their names until they are gone.
func planInfer(rec *inferRecord, placement int, pods []*corev1.Pod, dispatch string) inferStep {
	size := max(workload.GroupSize(&rec.Infer), 1)
	in := grouprollout.Input{Limits: workload.InferRolloutLimits(&rec.Infer), Replicas: (placement + size - 1) / size}
	groups, members := map[int]*grouprollout.Group{}, map[int]*rollGroup{}
	group := func(o int) *grouprollout.Group {
		if groups[o] == nil {
			groups[o], members[o] = &grouprollout.Group{Ordinal: o}, &rollGroup{}
		}
		return groups[o]
	}
	for rank := range placement {
		group(rank/size).Size++
	}
	held := map[int]bool{}
	for _, p := range pods {
		rank, ok := knownRank(p)
		if !ok {
			continue
		}
		held[rank] = true
		g, m := group(rank/size), members[rank/size]
		switch {
		case p.Labels[LabelDispatch] != dispatch, len(live([]*corev1.Pod{p})) == 0, rank >= placement:
			g.Ending = true
		case onTemplate(rec, p):
			g.New.Pods++
			m.current = append(m.current, p)
		default:
			g.Old.Pods++
			m.old = append(m.old, p)
		}
	}
	for o, m := range members {
		groups[o].Old.Available = groupAvailable(m.old, groups[o].Size)
		groups[o].New.Available = groupAvailable(m.current, groups[o].Size)
		in.Groups = append(in.Groups, *groups[o])
	}
	return stepOf(rec, in, members, held, placement)
}

// stepOf turns the plan for in into the pods to delete and the ranks to make.
func stepOf(rec *inferRecord, in grouprollout.Input, members map[int]*rollGroup, held map[int]bool, placement int) inferStep {
	size := max(workload.GroupSize(&rec.Infer), 1)
	keeps := func(o int) bool { // below the partition, on the older template recorded
		_, recorded := rec.OldGroups[o]
		return o < in.Limits.Partition && recorded && len(members[o].current) == 0
	}
	var step inferStep
	plan := grouprollout.Plan(in)
	removed := map[int]bool{}
	for _, ref := range plan.Remove {
		if ref.Old {
			step.remove, removed[ref.Ordinal] = append(step.remove, members[ref.Ordinal].old...), true
		} else {
			step.remove = append(step.remove, members[ref.Ordinal].current...)
		}
	}
	starts := map[int]bool{}
	for _, l := range plan.Start {
		starts[l.Ordinal] = !l.Surge
	}
	for o := range members {
		if keeps(o) && !removed[o] {
			starts[o] = true
		}
	}
	for rank := range placement {
		if starts[rank/size] && !held[rank] {
			step.create = append(step.create, rank)
		}
	}
	for o := range rec.OldGroups {
		if o >= in.Replicas || removed[o] || !keeps(o) && len(members[o].old) == 0 {
			step.forget = append(step.forget, o)
		}
	}
	return step
}

// groupAvailable reports whether pods are a whole group of size pods, every one
// running and ready.
func groupAvailable(pods []*corev1.Pod, size int) bool {
	return size > 0 && len(pods) == size && !slices.ContainsFunc(pods, func(p *corev1.Pod) bool {
		return p.Status.Phase != corev1.PodRunning || !podReady(p)
	})
}

// templateOf is the record rank's pod is made from: rec, or rec with the older
// template its group runs where it is below the partition.
func templateOf(rec *inferRecord, rank int) *inferRecord {
	size := max(workload.GroupSize(&rec.Infer), 1)
	t, ok := rec.OldGroups[rank/size]
	if !ok || rank/size >= workload.InferRolloutLimits(&rec.Infer).Partition {
		return rec
	}
	old := *rec
	old.Infer.Template = rec.OldTemplates[t]
	return &old
}
