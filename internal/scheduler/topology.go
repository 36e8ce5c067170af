package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/resource"
)

// domain is the usable nodes of a job that share a value of a tier's label.
type domain struct {
	name  string
	nodes []int32
	free  resource.List
}

// placeTopology places the job's gang within one domain of the lowest tier it fits
// in, the tightest such domain first (so that emptier ones stay whole for bigger
// gangs). Failing that, a hard gang waits; a soft one goes on the fewest domains of
// the last tier, the roomiest first, that hold it, and at last on any usable node.
func (p *Planner) placeTopology(sp *space, j *job) string {
	t, quiet := j.w.Topology, j.quiet
	usable := sp.usableNodes(j)
	need := minNeed(j.w)
	for _, key := range t.Tiers {
		ds := sp.domains(usable, key)
		slices.SortFunc(ds, func(a, b domain) int { return cmpFree(a.free, b.free, a.name, b.name) })
		for _, d := range ds {
			if ok, _ := need.Fits(d.free); ok && p.placeOn(sp, j, d.nodes, true) == "" {
				return ""
			}
		}
	}
	top := t.Tiers[len(t.Tiers)-1]
	ds := sp.domains(usable, top)
	if t.Hard {
		if quiet {
			return "no room"
		}
		return sp.noDomain(j.w, top, ds)
	}
	slices.SortFunc(ds, func(a, b domain) int { return cmpFree(b.free, a.free, a.name, b.name) })
	var nodes []int32
	var free resource.List
	for _, d := range ds {
		nodes, free = append(nodes, d.nodes...), free.Add(d.free)
		if ok, _ := need.Fits(free); ok && p.placeOn(sp, j, nodes, true) == "" {
			return ""
		}
	}
	return p.placeOn(sp, j, usable, quiet)
}

// placeOn places the job's gang on the given nodes only; on failure the picks are
// dropped and the reason returned.
func (p *Planner) placeOn(sp *space, j *job, nodes []int32, quiet bool) string {
	p.stamp++
	for _, i := range nodes {
		sp.nodes[i].cand = p.stamp
	}
	j.stamp, j.labelled, j.quiet, j.picks = p.stamp, true, quiet, j.picks[:0]
	if len(j.w.Units) > 0 {
		return sp.placeRequired(j)
	}
	reason := sp.place(j)
	if reason != "" {
		sp.drop(j)
	}
	return reason
}

// cmpFree orders free resources: fewer GPUs, then less cpu, then memory, then by name.
func cmpFree(a, b resource.List, an, bn string) int {
	return cmp.Or(cmp.Compare(a.GPU, b.GPU), cmp.Compare(a.MilliCPU, b.MilliCPU), cmp.Compare(a.Memory, b.Memory), strings.Compare(an, bn))
}

// usableNodes lists the nodes the job may use, whatever their free resources.
func (sp *space) usableNodes(j *job) []int32 {
	var out []int32
	for i := range sp.nodes {
		n := &sp.nodes[i]
		if j.labelled && n.cand == j.stamp || !j.labelled && (j.tolerate || !n.node.Tainted) {
			out = append(out, int32(i))
		}
	}
	return out
}

// domains groups nodes by their value of the label key, leaving out those without it,
// in order of name.
func (sp *space) domains(nodes []int32, key string) []domain {
	var out []domain
	at := map[string]int{}
	for _, i := range nodes {
		n := &sp.nodes[i]
		v, ok := n.node.Labels[key]
		if !ok {
			continue
		}
		k, seen := at[v]
		if !seen {
			k, at[v] = len(out), len(out)
			out = append(out, domain{name: v})
		}
		out[k].nodes = append(out[k].nodes, i)
		out[k].free = out[k].free.Add(n.free)
	}
	slices.SortFunc(out, func(a, b domain) int { return strings.Compare(a.name, b.name) })
	return out
}

// noDomain says why a hard gang fits in no domain of the tier key: no usable node has
// the label, or the roomiest domain has room for too few of the pods that must go.
func (sp *space) noDomain(w *Workload, key string, ds []domain) string {
	k := int64(max(minPods(w), 0))
	if len(ds) == 0 {
		return fmt.Sprintf("Network topology (hard): no usable node has the label %s to hold the %d pods within one domain", key, k)
	}
	best, bestRoom := sp.roomiestDomain(ds, w.PerPod, k)
	return fmt.Sprintf("Network topology (hard): no domain of %s has room for the %d pods; the roomiest, %s=%s, has room for %d",
		key, k, key, best, bestRoom)
}

// roomiestDomain is the domain with room for the most of k pods of size perPod (the
// first by name on a tie), and that room.
func (sp *space) roomiestDomain(ds []domain, perPod resource.List, k int64) (string, int64) {
	best, bestRoom := "", int64(-1)
	for _, d := range ds {
		r := int64(0)
		for _, i := range d.nodes {
			r += room(sp.nodes[i].free, perPod, k)
		}
		if r = min(r, k); r > bestRoom {
			best, bestRoom = d.name, r
		}
	}
	return best, bestRoom
}
