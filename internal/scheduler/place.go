package scheduler

import (
	"strings"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// job is the workload being placed.
type job struct {
	w        *Workload
	stamp    uint32
	tolerate bool
	// labelled: only nodes whose cand equals stamp are candidates.
	labelled bool
	// quiet: a failure needs no message (a trial placement).
	quiet bool
	picks []pick
	// taken are the pods of a gang of units placed so far, their room taken.
	taken []taken
}

// pick puts count replicas on a node.
type pick struct {
	node  int32
	count int64
}

// room is how many replicas of size p fit in free, at most limit.
func room(free, p resource.List, limit int64) int64 {
	limit = roomFor(limit, free.GPU, p.GPU)
	limit = roomFor(limit, free.MilliCPU, p.MilliCPU)
	limit = roomFor(limit, free.Memory, p.Memory)
	return roomFor(limit, free.EphemeralStorage, p.EphemeralStorage)
}

func roomFor(limit, free, need int64) int64 {
	switch {
	case need <= 0:
		return limit
	case free <= 0:
		return 0
	}
	return min(limit, free/need)
}

// usable reports whether node i may take replicas of the job; nodes already picked for
// the job are out of the buckets, so a search never meets them.
func (sp *space) usable(i int32, j *job) bool {
	return !j.labelled || sp.nodes[i].cand == j.stamp
}

// candidates marks the nodes matching the job's customer labels and counts the nodes
// the job may use at all, whatever their free resources.
func (sp *space) candidates(j *job, names map[string]nodeRef) int {
	if !j.labelled {
		if j.tolerate {
			return sp.nClean + sp.nTainted
		}
		return sp.nClean
	}
	count := 0
	mark := func(n *nodeState) {
		if n.cand != j.stamp && (j.tolerate || !n.node.Tainted) && matches(n.node, j.w.CustomerLabels) {
			n.cand = j.stamp
			count++
		}
	}
	if hosts, ok := j.w.CustomerLabels[workload.HostnameLabel]; ok {
		for _, name := range strings.Fields(hosts) {
			if ref, ok := names[name]; ok && ref.sp == sp {
				mark(&sp.nodes[ref.i])
			}
		}
		return count
	}
	for i := range sp.nodes {
		mark(&sp.nodes[i])
	}
	return count
}

// matches reports whether the node carries every customer label but the hostname one,
// which the caller has checked.
func matches(n *Node, labels map[string]string) bool {
	for k, v := range labels {
		if k == workload.HostnameLabel {
			continue
		}
		if got, ok := n.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// place chooses nodes for every replica into j.picks without changing any node, or
// returns why the gang does not fit. While the rest of the gang fits on one node it
// goes to the tightest such node; otherwise the node with room for the most replicas
// takes as many as it can, so a gang spans few nodes and small holes are filled first.
// A OnePerNode gang takes the tightest node for each replica in turn.
func (sp *space) place(j *job) string {
	k := int64(j.w.Replica)
	for k > 0 {
		want := k
		if j.w.OnePerNode {
			want = 1
		}
		i, c := sp.tightest(j, want), want
		if i < 0 && !j.w.OnePerNode {
			i, c = sp.roomiest(j, k)
		}
		if i < 0 && j.quiet {
			return "no room"
		}
		if i < 0 {
			return sp.fragmented(j)
		}
		n := &sp.nodes[i]
		n.gang, n.count = j.stamp, c
		j.picks = append(j.picks, pick{node: i, count: c})
		sp.remove(i) // out of the buckets until the job is committed or dropped
		k -= c
	}
	return ""
}

// drop puts the nodes picked for a job that does not fit back in their buckets.
func (sp *space) drop(j *job) {
	for _, pk := range j.picks {
		sp.insert(pk.node)
	}
}

// tightest finds the usable node with the fewest free GPUs, then the least free cpu,
// then the first by name, that takes k replicas; -1 when none does.
func (sp *space) tightest(j *job, k int64) int32 {
	lo := int64(0)
	if g := j.w.PerPod.GPU; g > 0 {
		if k > int64(len(sp.clean)-1)/g {
			return -1
		}
		lo = k * g
	}
	for f := lo; f < int64(len(sp.clean)); f++ {
		best := sp.tightestIn(sp.clean[f], j, k, -1)
		if j.tolerate {
			best = sp.tightestIn(sp.tainted[f], j, k, best)
		}
		if best >= 0 {
			return best
		}
	}
	return -1
}

func (sp *space) tightestIn(bucket []int32, j *job, k int64, best int32) int32 {
	for _, i := range bucket {
		if !sp.usable(i, j) || best >= 0 && !sp.lessCPU(i, best) {
			continue
		}
		if room(sp.nodes[i].free, j.w.PerPod, k) == k {
			best = i
		}
	}
	return best
}

// lessCPU orders nodes of one bucket: least free cpu, then by name.
func (sp *space) lessCPU(a, b int32) bool {
	ca, cb := sp.nodes[a].free.MilliCPU, sp.nodes[b].free.MilliCPU
	return ca < cb || ca == cb && a < b
}

// tighter orders nodes: fewest free GPUs, then least free cpu, then by name.
func (sp *space) tighter(a, b int32) bool {
	ba, bb := sp.nodes[a].bucket, sp.nodes[b].bucket
	return ba < bb || ba == bb && sp.lessCPU(a, b)
}

// roomiest finds the usable node with room for the most replicas (fewer than k), then
// the fewest free GPUs, the least free cpu, the first by name; -1 when none has room.
func (sp *space) roomiest(j *job, k int64) (int32, int64) {
	best := choice{node: -1}
	g := j.w.PerPod.GPU
	for f := int64(len(sp.clean)) - 1; f >= 0; f-- {
		bound := k // the most room a node of this bucket can have
		if g > 0 {
			bound = min(k, f/g)
		}
		if bound < max(best.room, 1) {
			break // no node with fewer free GPUs has more room
		}
		best = sp.roomiestIn(sp.clean[f], j, bound, best)
		if j.tolerate {
			best = sp.roomiestIn(sp.tainted[f], j, bound, best)
		}
	}
	return best.node, best.room
}

// choice is the best node found so far and its room.
type choice struct {
	node int32
	room int64
}

func (sp *space) roomiestIn(bucket []int32, j *job, bound int64, best choice) choice {
	for _, i := range bucket {
		// A node that loses the tie-break can only win with more room than the best
		// has, which its bucket cannot give: skip it before dividing.
		if !sp.usable(i, j) || best.node >= 0 && bound <= best.room && !sp.tighter(i, best.node) {
			continue
		}
		r := room(sp.nodes[i].free, j.w.PerPod, bound)
		if r > 0 && (r > best.room || r == best.room && sp.tighter(i, best.node)) {
			best = choice{node: i, room: r}
		}
	}
	return best
}

// fragmented explains a gang that passed the quota but found no room for its next
// replica: it names the candidate with the most free GPUs, then cpu, then the first by
// name, counting what earlier replicas of the gang took, and the resource it lacks.
func (sp *space) fragmented(j *job) string {
	p := j.w.PerPod
	best := int32(-1)
	var bestFree resource.List
	for i := range sp.nodes {
		n := &sp.nodes[i]
		if j.labelled && n.cand != j.stamp || !j.labelled && n.node.Tainted && !j.tolerate {
			continue
		}
		free := n.free
		if n.gang == j.stamp {
			free = free.Sub(p.Scale(n.count))
		}
		if best < 0 || free.GPU > bestFree.GPU || free.GPU == bestFree.GPU && free.MilliCPU > bestFree.MilliCPU {
			best, bestFree = int32(i), free
		}
	}
	_, short := p.Fits(bestFree)
	if short == "" {
		short = resource.GPU
	}
	return "Insufficient " + short + " on " + sp.nodes[best].node.Name + " due to node fragmentation"
}
