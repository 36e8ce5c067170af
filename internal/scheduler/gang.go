package scheduler

import (
	"slices"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// podReq is a pod of a gang of units to place: its rank in the gang and its request.
type podReq struct {
	rank int
	req  resource.List
}

// taken is a pod of a gang of units placed for now: its room is off its node already,
// given back if the gang (or its unit) does not fit after all.
type taken struct {
	node int32
	rank int
	req  resource.List
	gpus []int
}

// required marks the units of w that must fit for it to be admitted: those not
// optional or, when every unit is, the first with the fewest pods.
func required(w *Workload) []bool {
	must := make([]bool, len(w.Units))
	smallest, some := -1, false
	for i, u := range w.Units {
		must[i] = !u.Optional
		some = some || must[i]
		if smallest < 0 || u.Pods < w.Units[smallest].Pods {
			smallest = i
		}
	}
	if smallest >= 0 && !some {
		must[smallest] = true
	}
	return must
}

// unitPods lists the pods of the units of w that must (or, with must false, may) be
// placed, unit by unit, each with its rank and request.
func unitPods(w *Workload, must bool) [][]podReq {
	var out [][]podReq
	first := 0
	for i, req := range required(w) {
		u := w.Units[i]
		if req == must {
			pods := make([]podReq, u.Pods)
			for k := range pods {
				pods[k] = podReq{rank: first + k, req: w.PerPod}
				if k < len(u.Requests) {
					pods[k].req = u.Requests[k]
				}
			}
			out = append(out, pods)
		}
		first += u.Pods
	}
	return out
}

// minPods is how many pods of w must be placed for it to be admitted.
func minPods(w *Workload) int {
	if len(w.Units) == 0 {
		return w.Replica
	}
	n := 0
	for _, pods := range unitPods(w, true) {
		n += len(pods)
	}
	return n
}

// minNeed is what the pods of w that must be placed ask for together.
func minNeed(w *Workload) resource.List {
	if len(w.Units) == 0 {
		return w.PerPod.Scale(int64(w.Replica))
	}
	var sum resource.List
	for _, pods := range unitPods(w, true) {
		sum = sum.Add(sumOf(pods))
	}
	return sum
}

func sumOf(pods []podReq) resource.List {
	var sum resource.List
	for _, p := range pods {
		sum = sum.Add(p.req)
	}
	return sum
}

// placeRequired places the pods of the job's required units, all or none; on failure
// it returns why (quiet: any non-empty string).
func (sp *space) placeRequired(j *job) string {
	var pods []podReq
	for _, u := range unitPods(j.w, true) {
		pods = append(pods, u...)
	}
	if k := sp.placePods(j, pods); k >= 0 {
		if j.quiet {
			return "no room"
		}
		return sp.short(j, pods[k].req)
	}
	return ""
}

// placePods places pods one by one, taking their room as it goes: each on a node the
// gang holds already if one has room (the tightest), else on the tightest node that
// holds all the pods left, else on the roomiest. When one finds no node, what pods
// took is given back and its index returned; -1 when all were placed.
func (sp *space) placePods(j *job, pods []podReq) int {
	start := len(j.taken)
	for k, p := range pods {
		i := sp.nodeFor(j, p.req, sumOf(pods[k:]))
		if i < 0 {
			sp.giveBack(j, start)
			return k
		}
		gpus := sp.nodes[i].idleGPUs(p.req.GPU)
		sp.change(i, p.req, gpus, true)
		j.taken = append(j.taken, taken{node: i, rank: p.rank, req: p.req, gpus: gpus})
	}
	return -1
}

// nodeFor chooses the node of the next pod (see placePods); -1 when none has room.
func (sp *space) nodeFor(j *job, req, rest resource.List) int32 {
	held, whole, roomy := int32(-1), int32(-1), int32(-1)
	for i := range sp.nodes {
		n := &sp.nodes[i]
		if !sp.mayUse(int32(i), j) {
			continue
		}
		if ok, _ := req.Fits(n.free); !ok {
			continue
		}
		if slices.ContainsFunc(j.taken, func(t taken) bool { return t.node == int32(i) }) && (held < 0 || sp.tighter(int32(i), held)) {
			held = int32(i)
		}
		if ok, _ := rest.Fits(n.free); ok && (whole < 0 || sp.tighter(int32(i), whole)) {
			whole = int32(i)
		}
		if roomy < 0 || sp.tighter(roomy, int32(i)) {
			roomy = int32(i)
		}
	}
	switch {
	case held >= 0:
		return held
	case whole >= 0:
		return whole
	}
	return roomy
}

// mayUse reports whether the job may put pods on node i at all.
func (sp *space) mayUse(i int32, j *job) bool {
	n := &sp.nodes[i]
	if j.labelled {
		return n.cand == j.stamp
	}
	return j.tolerate || !n.node.Tainted
}

// giveBack gives back the room of the pods taken from index start on.
func (sp *space) giveBack(j *job, start int) {
	for k := len(j.taken) - 1; k >= start; k-- {
		t := j.taken[k]
		sp.change(t.node, t.req, t.gpus, false)
	}
	j.taken = j.taken[:start]
}

// short explains a pod of a gang of units that found no node: the usable node with
// the most free GPUs, then cpu, and the resource it lacks.
func (sp *space) short(j *job, req resource.List) string {
	best := int32(-1)
	for i := range sp.nodes {
		if sp.mayUse(int32(i), j) && (best < 0 || sp.tighter(best, int32(i))) {
			best = int32(i)
		}
	}
	if best < 0 {
		return MsgUnavailable
	}
	_, lack := req.Fits(sp.nodes[best].free)
	if lack == "" {
		lack = resource.GPU
	}
	return "Insufficient " + lack + " on " + sp.nodes[best].node.Name + " due to node fragmentation"
}

// idleGPUs lists the lowest n indices nobody holds (fewer when there are not as many).
func (n *nodeState) idleGPUs(count int64) []int {
	var out []int
	for k := 0; k < len(n.gpus) && int64(len(out)) < count; k++ {
		if n.used[k] == 0 {
			out = append(out, n.gpus[k])
		}
	}
	return out
}

// placeOptional places each optional unit of the job's workload that still fits among
// the nodes the gang could use, whole or not at all, once its required units are.
func (sp *space) placeOptional(j *job) {
	for _, pods := range unitPods(j.w, false) {
		sp.placePods(j, pods)
	}
}

// takenPlacement is the placement of the pods taken for the job, by rank, each saying
// what it holds where that is not PerPod; the job holds nothing taken after.
func (sp *space) takenPlacement(j *job) []workload.PodPlacement {
	slices.SortFunc(j.taken, func(a, b taken) int { return a.rank - b.rank })
	out := make([]workload.PodPlacement, len(j.taken))
	for k, t := range j.taken {
		out[k] = workload.PodPlacement{Rank: t.rank, Node: sp.nodes[t.node].node.Name, GPUs: t.gpus}
		if t.req != j.w.PerPod {
			req := t.req
			out[k].Request = &req
		}
	}
	j.taken = j.taken[:0]
	return out
}
