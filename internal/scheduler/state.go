package scheduler

import (
	"slices"
	"time"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// space is one workspace as the planner keeps it between plans: its ready nodes with
// what admitted workloads hold, bucketed by free GPUs, and its queue.
type space struct {
	id            string
	fifo, preempt bool
	// nodes are the workspace's ready nodes sorted by name; an index into nodes is
	// the node's identity until the nodes are rebuilt.
	nodes []nodeState
	// clean and tainted hold node indices by free GPU count (clamped at zero), for
	// untainted and tainted nodes.
	clean, tainted [][]int32
	// sumClean and sumTainted are the free resources of all untainted, tainted nodes.
	sumClean, sumTainted resource.List
	nClean, nTainted     int
	// avgCPU and avgMemory are the mean node capacity, the units of the preemption score.
	avgCPU, avgMemory float64
	// queue holds the queued workloads in queue order as of the last plan; added are
	// those upserted since, unsorted. Entries gone since are dropped at the next plan.
	queue, added, spare []*entry
	// admitted are the workspace's admitted workloads by ID.
	admitted map[string]*entry
	// dirty: something of the workspace changed since its last round. nextCron is the
	// earliest start time of a queued workload still in the future at that round.
	dirty    bool
	nextCron time.Time
	// stop is the workload that ended the last round (nil: none).
	stop *entry
}

// nodeState is a ready node of a space.
type nodeState struct {
	node *Node
	// raw is the capacity less what holders take; free is raw with the GPUs capped at
	// the indices nobody holds.
	raw, free resource.List
	// gpus are the node's distinct GPU indices ascending; used[k] counts the holders of
	// gpus[k] and idle the indices nobody holds.
	gpus []int
	used []int32
	idle int64
	// bucket and slot say where the node sits in its space's buckets.
	bucket, slot int32
	// cand and gang equal the stamp of the job being placed when the node matches its
	// labels, when it already holds count of the job's replicas.
	cand, gang uint32
	count      int64
}

func newNodeState(n *Node) nodeState {
	gpus := slices.Clone(n.GPUIndices)
	slices.Sort(gpus)
	gpus = slices.Compact(gpus)
	s := nodeState{node: n, raw: n.Capacity, gpus: gpus, used: make([]int32, len(gpus)), idle: int64(len(gpus))}
	s.refresh()
	return s
}

func (n *nodeState) refresh() {
	n.free = n.raw
	n.free.GPU = min(n.raw.GPU, n.idle)
}

// mark counts a holder of each of the GPU indices in (delta 1) or out (delta -1).
func (n *nodeState) mark(gpus []int, delta int32) {
	for _, g := range gpus {
		k, ok := slices.BinarySearch(n.gpus, g)
		if !ok || delta < 0 && n.used[k] == 0 {
			continue
		}
		if n.used[k] == 0 {
			n.idle--
		}
		n.used[k] += delta
		if n.used[k] == 0 {
			n.idle++
		}
	}
}

// index sums the free resources and fills the buckets once the nodes hold what
// admitted workloads take.
func (sp *space) index() {
	top := int64(0)
	sp.sumClean, sp.sumTainted, sp.nClean, sp.nTainted = resource.List{}, resource.List{}, 0, 0
	var cpu, mem float64
	for i := range sp.nodes {
		n := &sp.nodes[i]
		top = max(top, min(n.node.Capacity.GPU, int64(len(n.gpus))), n.free.GPU)
		cpu += float64(n.node.Capacity.MilliCPU)
		mem += float64(n.node.Capacity.Memory)
		if n.node.Tainted {
			sp.sumTainted = sp.sumTainted.Add(n.free)
			sp.nTainted++
		} else {
			sp.sumClean = sp.sumClean.Add(n.free)
			sp.nClean++
		}
	}
	if len(sp.nodes) > 0 {
		sp.avgCPU, sp.avgMemory = cpu/float64(len(sp.nodes)), mem/float64(len(sp.nodes))
	}
	sp.clean = make([][]int32, top+1)
	sp.tainted = make([][]int32, top+1)
	for i := range sp.nodes {
		sp.insert(int32(i))
	}
}

// buckets returns the bucket set the node belongs to.
func (sp *space) buckets(n *nodeState) [][]int32 {
	if n.node.Tainted {
		return sp.tainted
	}
	return sp.clean
}

func (sp *space) insert(i int32) {
	n := &sp.nodes[i]
	b := sp.buckets(n)
	n.bucket = int32(min(max(n.free.GPU, 0), int64(len(b)-1)))
	n.slot = int32(len(b[n.bucket]))
	b[n.bucket] = append(b[n.bucket], i)
}

func (sp *space) remove(i int32) {
	n := &sp.nodes[i]
	b := sp.buckets(n)[n.bucket]
	last := b[len(b)-1]
	b[n.slot] = last
	sp.nodes[last].slot = n.slot
	sp.buckets(n)[n.bucket] = b[:len(b)-1]
}

// addSum adds delta to the free sum the node counts in.
func (sp *space) addSum(n *nodeState, delta resource.List) {
	if n.node.Tainted {
		sp.sumTainted = sp.sumTainted.Add(delta)
	} else {
		sp.sumClean = sp.sumClean.Add(delta)
	}
}

// change takes (take) or gives back one replica's share, its GPU indices included, on
// node i, which is in the buckets.
func (sp *space) change(i int32, perPod resource.List, gpus []int, take bool) {
	sp.remove(i)
	n := &sp.nodes[i]
	before := n.free
	if take {
		n.raw = n.raw.Sub(perPod)
		n.mark(gpus, 1)
	} else {
		n.raw = n.raw.Add(perPod)
		n.mark(gpus, -1)
	}
	n.refresh()
	sp.addSum(n, n.free.Sub(before))
	sp.insert(i)
}

// commit takes the job's picks (out of the buckets since place) off their nodes and
// returns a placement per rank: ranks in pick order, each replica on the lowest free
// GPU indices of its node.
func (sp *space) commit(j *job) []workload.PodPlacement {
	p := j.w.PerPod
	g := max(p.GPU, 0)
	out := make([]workload.PodPlacement, max(j.w.Replica, 0))
	var gpuBuf []int
	if g > 0 {
		gpuBuf = make([]int, int64(j.w.Replica)*g)
	}
	rank := 0
	for _, pk := range j.picks {
		n := &sp.nodes[pk.node]
		before := n.free
		n.raw = n.raw.Sub(p.Scale(pk.count))
		next := 0
		for range pk.count {
			var gpus []int
			if g > 0 {
				gpus = gpuBuf[int64(rank)*g : int64(rank+1)*g : int64(rank+1)*g]
				next = n.takeGPUs(gpus, next)
			}
			out[rank] = workload.PodPlacement{Rank: rank, Node: n.node.Name, GPUs: gpus}
			rank++
		}
		n.refresh()
		sp.addSum(n, n.free.Sub(before))
		sp.insert(pk.node)
	}
	return out
}

// takeGPUs fills dst with the lowest free indices at or after position from and marks
// them used; it returns where the next search may start.
func (n *nodeState) takeGPUs(dst []int, from int) int {
	k := 0
	for ; from < len(n.gpus) && k < len(dst); from++ {
		if n.used[from] == 0 {
			n.used[from] = 1
			n.idle--
			dst[k] = n.gpus[from]
			k++
		}
	}
	return from
}
