package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/resource"
)

// Explain says, for people, why a workload is where it is: its position and message
// from the last Plan of its workspace, and reasons with numbers computed from the
// planner's current state at now; for a running service that waits to add replicas
// in place, why those wait. It changes nothing the next Plan sees.
func (p *Planner) Explain(id string, now time.Time) (Explanation, bool) {
	e := p.workloads[entryKey(id, true)]
	if e == nil {
		e = p.workloads[entryKey(id, false)]
	}
	if e == nil {
		return Explanation{}, false
	}
	if p.nodesDirty {
		p.rebuild()
	}
	w, sp := &e.w, e.sp
	x := Explanation{WorkloadID: e.id, Admitted: w.Admitted}
	if w.Admitted {
		x.Reasons = []string{fmt.Sprintf("admitted: %d replicas placed", len(w.Placement))}
		if w.Preempted {
			x.Reasons = append(x.Reasons, "preempted for "+cmp.Or(w.PreemptedFor, "a higher priority workload")+", being stopped")
		}
		return x, true
	}
	x.Position, x.Message = e.pos, e.msg
	if w.NotBefore.After(now) {
		x.Reasons = append(x.Reasons, fmt.Sprintf("starts at %s, in %s", w.NotBefore.UTC().Format(time.RFC3339), w.NotBefore.Sub(now).Round(time.Second)))
	}
	if w.DependenciesWaiting {
		x.Reasons = append(x.Reasons, "waits for a dependency to succeed")
	}
	x.Reasons = append(x.Reasons, p.quotaReasons(sp, w)...)
	x.Reasons = append(x.Reasons, p.nodeReason(sp, w))
	if t := w.Topology; t != nil && len(t.Tiers) > 0 {
		x.Reasons = append(x.Reasons, p.topologyReason(sp, w))
	}
	if s := sp.stop; s != nil && s != e && !s.gone && e.msg == MsgQueued {
		x.Reasons = append(x.Reasons, fmt.Sprintf("queued behind %s (priority %d), which is blocked: %s", s.id, s.w.Priority, s.msg))
	}
	if v := p.victimsOf(sp, w.ID); len(v) > 0 {
		x.Reasons = append(x.Reasons, fmt.Sprintf("waiting for %d preempted workloads to stop: %s", len(v), strings.Join(v, ", ")))
	}
	x.Blockers = p.blockers(sp, w)
	return x, true
}

// quotaReasons compares the total request (of the pods that must fit at once) with
// the workspace's free total, resource by resource, in exact quantities: replicas ×
// request may be far beyond int64. The pods of a gang of units, few, are summed.
func (p *Planner) quotaReasons(sp *space, w *Workload) []string {
	free := sp.sumClean
	if w.TolerateAll {
		free = free.Add(sp.sumTainted)
	}
	k, units := minPods(w), minNeed(w)
	var out []string
	for _, r := range []string{resource.GPU, resource.CPU, resource.Memory, resource.EphemeralStorage} {
		perPod := w.PerPod.Get(r)
		if perPod <= 0 || k <= 0 {
			continue
		}
		need, left := resource.Quantity(r, perPod), resource.Quantity(r, max(free.Get(r), 0))
		need.Mul(int64(k))
		each := fmt.Sprintf("%d × %s", k, resource.Format(r, perPod))
		if len(w.Units) > 0 {
			need, each = resource.Quantity(r, units.Get(r)), fmt.Sprintf("%d pods", k)
		}
		verb := "has"
		if need.Cmp(left) > 0 {
			verb = "has only"
		}
		out = append(out, fmt.Sprintf("needs %s %s in all (%s), workspace %s %s %s free",
			resource.FormatQuantity(r, need), r, each, sp.id, verb, resource.FormatQuantity(r, left)))
	}
	return out
}

// nodeReason counts the nodes the workload may use, those with room for a replica and
// the replicas they have room for together.
func (p *Planner) nodeReason(sp *space, w *Workload) string {
	p.stamp++
	j := job{w: w, stamp: p.stamp, tolerate: w.TolerateAll, labelled: len(w.CustomerLabels) > 0}
	usable := sp.candidates(&j, p.names)
	k := int64(max(minPods(w), 0))
	roomy, total := 0, int64(0)
	for i := range sp.nodes {
		n := &sp.nodes[i]
		if j.labelled && n.cand != j.stamp || !j.labelled && n.node.Tainted && !j.tolerate {
			continue
		}
		if r := room(n.free, w.PerPod, k); r > 0 {
			roomy++
			total += r
		}
	}
	what := "are usable"
	if j.labelled {
		what = "match the labels"
	}
	return fmt.Sprintf("%d of %d ready nodes %s, %d with room for a replica; room for %d of %d replicas in all",
		usable, len(sp.nodes), what, roomy, min(total, k), k)
}

// victimsOf lists the preempted workloads making room for the entry of key.
func (p *Planner) victimsOf(sp *space, key string) []string {
	var out []string
	for _, v := range sp.admitted {
		if v.w.Preempted && v.w.PreemptedFor == key {
			out = append(out, v.id)
		}
	}
	slices.Sort(out)
	return out
}

// blockers finds admitted workloads of the workspace whose end would let w be placed:
// preempted ones first, then the biggest by score, until w fits; then each is put back
// if w still fits without it. Nil when w fits now or would not even on empty nodes.
func (p *Planner) blockers(sp *space, w *Workload) []string {
	if p.fits(sp, w) {
		return nil
	}
	all := make([]victim, 0, len(sp.admitted))
	for _, e := range sp.admitted {
		all = append(all, victim{e: e, score: sp.score(e.w.held())})
	}
	slices.SortFunc(all, func(a, b victim) int {
		if a.e.w.Preempted != b.e.w.Preempted {
			return cmp.Compare(boolInt(b.e.w.Preempted), boolInt(a.e.w.Preempted))
		}
		return cmp.Or(cmp.Compare(b.score, a.score), b.e.w.Created.Compare(a.e.w.Created), strings.Compare(a.e.w.ID, b.e.w.ID))
	})
	n := 0
	for n < len(all) && !p.fits(sp, w) {
		p.trial(sp, all[n].e, false)
		n++
	}
	if !p.fits(sp, w) {
		for _, v := range all[:n] {
			p.trial(sp, v.e, true)
		}
		return nil
	}
	var out []string
	for i := n - 1; i >= 0; i-- {
		p.trial(sp, all[i].e, true)
		if !p.fits(sp, w) {
			out = append(out, all[i].e.w.ID)
			p.trial(sp, all[i].e, false)
		}
	}
	ids := make([]string, len(out))
	for i, key := range out {
		p.trial(sp, sp.admitted[key], true)
		ids[i] = sp.admitted[key].id
	}
	slices.Sort(ids)
	return ids
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// topologyReason counts the domains of the last tier a gang may span and the room the
// roomiest has for the pods that must fit at once.
func (p *Planner) topologyReason(sp *space, w *Workload) string {
	p.stamp++
	g := *w
	g.Replica = minPods(w)
	j := job{w: &g, stamp: p.stamp, tolerate: w.TolerateAll, labelled: len(w.CustomerLabels) > 0}
	sp.candidates(&j, p.names)
	key := w.Topology.Tiers[len(w.Topology.Tiers)-1]
	ds := sp.domains(sp.usableNodes(&j), key)
	mode := "soft"
	if w.Topology.Hard {
		mode = "hard"
	}
	if len(ds) == 0 {
		return fmt.Sprintf("network topology (%s): no usable node has the label %s", mode, key)
	}
	k := int64(max(g.Replica, 0))
	best, bestRoom := sp.roomiestDomain(ds, w.PerPod, k)
	return fmt.Sprintf("network topology (%s): %d domains of %s; the roomiest, %s, has room for %d of the %d pods that must go together",
		mode, len(ds), key, best, bestRoom, k)
}
