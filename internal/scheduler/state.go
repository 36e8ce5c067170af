package scheduler

import (
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// space is one workspace during a cycle: its ready nodes, bucketed by free GPUs, and
// its queue.
type space struct {
	id   string
	fifo bool
	// nodes are the workspace's ready nodes sorted by name; an index into nodes is
	// the node's identity for the rest of the cycle.
	nodes []nodeState
	// clean and tainted hold node indices by free GPU count (clamped at zero), for
	// untainted and tainted nodes.
	clean, tainted [][]int32
	// sumClean and sumTainted are the free resources of all untainted, tainted nodes.
	sumClean, sumTainted resource.List
	nClean, nTainted     int
	// queue holds indices into Snapshot.Workloads in queue order.
	queue []int32
}

// nodeRef finds a node of some workspace.
type nodeRef struct {
	sp *space
	i  int32
}

// nodeState is a ready node during a cycle.
type nodeState struct {
	node *Node
	free resource.List
	// gpus are the node's distinct GPU indices ascending; used[k] marks gpus[k] taken.
	gpus []int
	used []bool
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
	return nodeState{node: n, free: n.Capacity, gpus: gpus, used: make([]bool, len(gpus))}
}

// hold takes an admitted replica's share off the node.
func (n *nodeState) hold(perPod resource.List, gpus []int) {
	n.free = n.free.Sub(perPod)
	for _, g := range gpus {
		if k, ok := slices.BinarySearch(n.gpus, g); ok {
			n.used[k] = true
		}
	}
}

// freeIndices counts the GPU indices nobody holds.
func (n *nodeState) freeIndices() int64 {
	var c int64
	for _, u := range n.used {
		if !u {
			c++
		}
	}
	return c
}

func (sp *space) sortNodes() {
	slices.SortStableFunc(sp.nodes, func(a, b nodeState) int { return strings.Compare(a.node.Name, b.node.Name) })
}

// index sums the free resources and fills the buckets once admitted workloads are held.
// A node never offers more GPUs than it has free indices to hand out.
func (sp *space) index() {
	maxFree := int64(0)
	for i := range sp.nodes {
		n := &sp.nodes[i]
		n.free.GPU = min(n.free.GPU, n.freeIndices())
		maxFree = max(maxFree, n.free.GPU)
		if n.node.Tainted {
			sp.sumTainted = sp.sumTainted.Add(n.free)
			sp.nTainted++
		} else {
			sp.sumClean = sp.sumClean.Add(n.free)
			sp.nClean++
		}
	}
	sp.clean = make([][]int32, maxFree+1)
	sp.tainted = make([][]int32, maxFree+1)
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
	n.bucket = int32(max(n.free.GPU, 0))
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

// commit takes the job's picks (out of the buckets since place) off their nodes and returns a placement per rank: ranks
// in pick order, each replica on the lowest free GPU indices of its node.
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
		taken := p.Scale(pk.count)
		n.free = n.free.Sub(taken)
		if n.node.Tainted {
			sp.sumTainted = sp.sumTainted.Sub(taken)
		} else {
			sp.sumClean = sp.sumClean.Sub(taken)
		}
		sp.insert(pk.node)
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
	}
	return out
}

// takeGPUs fills dst with the lowest free indices at or after position from and marks
// them used; it returns where the next search may start.
func (n *nodeState) takeGPUs(dst []int, from int) int {
	k := 0
	for ; from < len(n.gpus) && k < len(dst); from++ {
		if !n.used[from] {
			n.used[from] = true
			dst[k] = n.gpus[from]
			k++
		}
	}
	return from
}
