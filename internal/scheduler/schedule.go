package scheduler

import (
	"cmp"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload"
)

// Pending messages, the reference's exact strings (behaviour §4.6).
const (
	MsgCron        = "The Execution time has not been reached"
	MsgDependency  = "Dependency cannot be satisfied"
	MsgUnavailable = "All nodes are unavailable"
	MsgLabelSuffix = " or not enough nodes match the specified label."
	MsgQueued      = "There are high priority or pre-created tasks that have not been scheduled yet"
)

// cycle is the state of one Schedule call.
type cycle struct {
	snap   *Snapshot
	now    time.Time
	spaces []*space
	// names finds a ready node by name, for placements and the hostname label.
	names map[string]nodeRef
	stamp uint32
	picks []pick
	plan  Plan
}

// Schedule plans one scheduling round over s: which queued workloads start now and on
// which nodes and GPUs, and the queue position and reason of every other queued
// workload. It does not modify s and returns the same plan for the same input.
func Schedule(s *Snapshot, now time.Time) Plan {
	c := newCycle(s, now)
	for _, sp := range c.spaces {
		c.round(sp)
	}
	return c.plan
}

// round walks one workspace's queue in order, admitting what fits, until a blocking
// rule stops it, then gives every workload left in the queue a position.
func (c *cycle) round(sp *space) {
	reasons := make([]string, len(sp.queue))
	admitted := make([]bool, len(sp.queue))
	for i, wi := range sp.queue {
		w := &c.snap.Workloads[wi]
		reason := c.evaluate(sp, w)
		if reason == "" {
			admitted[i] = true
			continue
		}
		reasons[i] = reason
		if c.blocks(sp, i, reason) {
			break
		}
	}
	pos := 0
	for i, wi := range sp.queue {
		if admitted[i] {
			continue
		}
		pos++
		msg := cmp.Or(reasons[i], MsgQueued)
		c.plan.Pending = append(c.plan.Pending, Pending{WorkloadID: c.snap.Workloads[wi].ID, Position: pos, Message: msg})
	}
}

// blocks reports whether a failure of queue entry i ends the workspace's round
// (behaviour §5.3, first matching rule).
func (c *cycle) blocks(sp *space, i int, reason string) bool {
	w := &c.snap.Workloads[sp.queue[i]]
	if reason == MsgCron || reason == MsgDependency {
		return false
	}
	if sp.fifo {
		return true
	}
	if _, ok := w.CustomerLabels[workload.HostnameLabel]; ok {
		return false
	}
	if i+1 < len(sp.queue) {
		return c.snap.Workloads[sp.queue[i+1]].Priority < w.Priority
	}
	return false
}

// evaluate tries to admit w; it returns "" when w was admitted, else the reason it
// stays queued.
func (c *cycle) evaluate(sp *space, w *Workload) string {
	if w.NotBefore.After(c.now) {
		return MsgCron
	}
	if w.DependenciesWaiting {
		return MsgDependency
	}
	free := sp.sumClean
	if w.TolerateAll {
		free = free.Add(sp.sumTainted)
	}
	if ok, short := w.PerPod.Scale(int64(w.Replica)).Fits(free); !ok {
		return "Insufficient total " + short + " resources"
	}
	c.stamp++
	j := job{w: w, stamp: c.stamp, tolerate: w.TolerateAll, labelled: len(w.CustomerLabels) > 0, picks: c.picks[:0]}
	if sp.candidates(&j, c.names) == 0 {
		if j.labelled {
			return MsgUnavailable + MsgLabelSuffix
		}
		return MsgUnavailable
	}
	reason := sp.place(&j)
	c.picks = j.picks
	if reason != "" {
		sp.drop(&j)
		return reason
	}
	c.plan.Admit = append(c.plan.Admit, Admission{WorkloadID: w.ID, Placement: sp.commit(&j)})
	return ""
}

// queueKey is what the queue order looks at, copied out of the workload so that
// sorting touches little memory.
type queueKey struct {
	rescheduled, waiting bool
	priority             int
	// created is the creation time as Unix seconds and nanoseconds, cheaper to compare
	// than a time.Time.
	createdSec  int64
	createdNsec int32
	id          string
	// index into Snapshot.Workloads breaks ties between equal IDs.
	index int32
}

func keyOf(ws []Workload, i int32) queueKey {
	w := &ws[i]
	return queueKey{
		rescheduled: w.Rescheduled, waiting: w.DependenciesWaiting, priority: w.Priority,
		createdSec: w.Created.Unix(), createdNsec: int32(w.Created.Nanosecond()), id: w.ID, index: i,
	}
}

// queueCmp is the queue order (behaviour §5.4, made a total order): rescheduled first,
// waiting on dependencies last, then priority descending, creation ascending, ID
// ascending, position in the snapshot.
func queueCmp(a, b *queueKey) int {
	if a.rescheduled != b.rescheduled {
		if a.rescheduled {
			return -1
		}
		return 1
	}
	if a.waiting != b.waiting {
		if b.waiting {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(b.priority, a.priority); c != 0 {
		return c
	}
	if c := cmp.Compare(a.createdSec, b.createdSec); c != 0 {
		return c
	}
	if c := cmp.Compare(a.createdNsec, b.createdNsec); c != 0 {
		return c
	}
	return cmp.Or(strings.Compare(a.id, b.id), cmp.Compare(a.index, b.index))
}

// newCycle indexes the snapshot: ready nodes per workspace with the resources that
// admitted workloads hold taken off, and each workspace's queue in order.
func newCycle(s *Snapshot, now time.Time) *cycle {
	c := &cycle{snap: s, now: now, names: make(map[string]nodeRef, len(s.Nodes))}
	byID := make(map[string]*space)
	get := func(id string) *space {
		sp := byID[id]
		if sp == nil {
			sp = &space{id: id, fifo: true}
			byID[id] = sp
			c.spaces = append(c.spaces, sp)
		}
		return sp
	}
	for _, ws := range s.Workspaces {
		get(ws.ID).fifo = ws.QueuePolicy != apiv1.QueuePolicyBalance
	}
	for i := range s.Nodes {
		if n := &s.Nodes[i]; n.Ready {
			sp := get(n.Workspace)
			sp.nodes = append(sp.nodes, newNodeState(n))
		}
	}
	for _, sp := range c.spaces {
		sp.sortNodes()
		for i := range sp.nodes {
			c.names[sp.nodes[i].node.Name] = nodeRef{sp, int32(i)}
		}
	}
	c.holdAdmitted()
	for _, sp := range c.spaces {
		sp.index()
	}
	c.buildQueues(get)
	return c
}

// holdAdmitted takes the resources and GPU indices of admitted workloads off their nodes.
func (c *cycle) holdAdmitted() {
	for i := range c.snap.Workloads {
		w := &c.snap.Workloads[i]
		if !w.Admitted {
			continue
		}
		for _, p := range w.Placement {
			if ref, ok := c.names[p.Node]; ok {
				ref.sp.nodes[ref.i].hold(w.PerPod, p.GPUs)
			}
		}
	}
}

// buildQueues puts every queued workload in its workspace's queue in order.
func (c *cycle) buildQueues(get func(string) *space) {
	ws := c.snap.Workloads
	queued := 0
	for i := range ws {
		if !ws[i].Admitted {
			sp := get(ws[i].Workspace)
			sp.queue = append(sp.queue, int32(i))
			queued++
		}
	}
	c.plan.Pending = make([]Pending, 0, queued)
	// Workspaces first seen here have no nodes; keep the processing order by ID.
	slices.SortFunc(c.spaces, func(a, b *space) int { return strings.Compare(a.id, b.id) })
	var keys []queueKey
	var perm []int32
	for _, sp := range c.spaces {
		keys, perm = keys[:0], perm[:0]
		for k, i := range sp.queue {
			keys, perm = append(keys, keyOf(ws, i)), append(perm, int32(k))
		}
		slices.SortFunc(perm, func(a, b int32) int { return queueCmp(&keys[a], &keys[b]) })
		for k, p := range perm {
			sp.queue[k] = keys[p].index
		}
	}
}
