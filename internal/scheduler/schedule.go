package scheduler

import (
	"math"
	"time"

	"github.com/berth-dev/berth/internal/workload"
)

// Pending messages, the reference's exact strings (behaviour §4.6), and Berth's own
// for a requester whose victims are stopping.
const (
	MsgCron        = "The Execution time has not been reached"
	MsgDependency  = "Dependency cannot be satisfied"
	MsgUnavailable = "All nodes are unavailable"
	MsgLabelSuffix = " or not enough nodes match the specified label."
	MsgQueued      = "There are high priority or pre-created tasks that have not been scheduled yet"
	MsgPreempting  = "Waiting for preempted workloads to stop"
)

// Schedule plans one scheduling round over s: which queued workloads start now and on
// which nodes and GPUs, which admitted ones to preempt, and the queue position and
// reason of every other queued workload. It does not modify s and returns the same
// plan for the same input. It is a fresh Planner given all of s, planned once.
func Schedule(s *Snapshot, now time.Time) Plan {
	p := NewPlanner()
	for _, n := range s.Nodes {
		p.UpsertNode(n)
	}
	for _, ws := range s.Workspaces {
		p.UpsertWorkspace(ws)
	}
	for _, w := range s.Workloads {
		p.UpsertWorkload(w)
	}
	return p.Plan(now)
}

// Plan plans again every workspace that changed since the last Plan, or whose queue
// holds a start time now reached. It returns their admissions, new preemption victims
// and a Pending entry for each of their queued workloads; other workspaces get no
// entries (their last ones still hold). The planner then counts the admissions as
// admitted with their placement and the victims as preempted, until told otherwise.
func (p *Planner) Plan(now time.Time) Plan {
	p.now, p.plan = now, Plan{}
	p.seq++
	if p.nodesDirty {
		p.rebuild()
	}
	queued := 0
	for _, sp := range p.order {
		if sp.due(now) {
			queued += len(sp.queue) + len(sp.added)
		}
	}
	if queued > 0 {
		p.plan.Pending = make([]Pending, 0, queued)
	}
	for _, sp := range p.order {
		if sp.due(now) {
			p.roundOf(sp)
		}
	}
	return p.plan
}

func (sp *space) due(now time.Time) bool {
	return sp.dirty || !sp.nextCron.IsZero() && !now.Before(sp.nextCron)
}

// roundOf walks one workspace's queue in order, admitting what fits, until a blocking
// rule stops it, then gives every workload left in the queue a position.
func (p *Planner) roundOf(sp *space) {
	sp.mergeQueue()
	p.round = roundState{failed: math.MinInt, fresh: math.MaxInt}
	last := len(sp.queue) - 1
	sp.stop = nil
	for i, e := range sp.queue {
		e.msg = p.evaluate(sp, e)
		if e.msg != "" && p.blocks(sp, i, e.msg) {
			last, sp.stop = i, e
			break
		}
	}
	p.unreserve(sp)
	pos := 0
	sp.nextCron = time.Time{}
	kept := sp.queue[:0]
	for i, e := range sp.queue {
		if e.w.Admitted {
			continue
		}
		if i > last {
			e.msg = MsgQueued
		}
		pos++
		e.pos = pos
		p.plan.Pending = append(p.plan.Pending, Pending{WorkloadID: e.id, Growth: e.w.Growth, Position: pos, Message: e.msg})
		if nb := e.w.NotBefore; nb.After(p.now) && (sp.nextCron.IsZero() || nb.Before(sp.nextCron)) {
			sp.nextCron = nb
		}
		kept = append(kept, e)
	}
	clear(sp.queue[len(kept):])
	sp.queue, sp.dirty = kept, p.round.fresh < p.round.failed
}

// blocks reports whether a failure of queue entry i ends the workspace's round
// (behaviour §5.3, first matching rule).
func (p *Planner) blocks(sp *space, i int, reason string) bool {
	w := &sp.queue[i].w
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
		return sp.queue[i+1].w.Priority < w.Priority
	}
	return false
}

// evaluate tries to admit e; it returns "" when e was admitted, else the reason it
// stays queued.
func (p *Planner) evaluate(sp *space, e *entry) string {
	w := &e.w
	if w.NotBefore.After(p.now) {
		return MsgCron
	}
	if w.DependenciesWaiting {
		return MsgDependency
	}
	reason := p.attempt(sp, w, false)
	if reason == "" {
		w.Admitted, w.Placement, e.seq = true, sp.commitJob(&p.job), p.seq
		sp.admitted[w.ID] = e
		p.round.fresh = min(p.round.fresh, w.Priority)
		p.plan.Admit = append(p.plan.Admit, Admission{WorkloadID: e.id, Growth: w.Growth, Placement: w.Placement})
		return ""
	}
	if sp.preempt && !w.NoPreempt && p.preempt(sp, e) {
		return MsgPreempting
	}
	return reason
}

// attempt checks w against the workspace's free total, then chooses nodes for every
// replica (of its required units, in the fewest network domains when it has a
// topology). It returns "" with the picks in p.job, out of the buckets (a gang of
// units: its pods' room taken) until committed or dropped, or the reason w does not
// fit (quiet: any non-empty string, cheaply).
func (p *Planner) attempt(sp *space, w *Workload, quiet bool) string {
	free := sp.sumClean
	if w.TolerateAll {
		free = free.Add(sp.sumTainted)
	}
	if ok, short := minNeed(w).Fits(free); !ok {
		return "Insufficient total " + short + " resources"
	}
	p.stamp++
	j := &p.job
	*j = job{w: w, stamp: p.stamp, tolerate: w.TolerateAll, labelled: len(w.CustomerLabels) > 0, quiet: quiet,
		picks: j.picks[:0], taken: j.taken[:0]}
	if sp.candidates(j, p.names) == 0 {
		if j.labelled {
			return MsgUnavailable + MsgLabelSuffix
		}
		return MsgUnavailable
	}
	if w.Topology != nil && len(w.Topology.Tiers) > 0 {
		return p.placeTopology(sp, j)
	}
	if len(w.Units) > 0 {
		return sp.placeRequired(j)
	}
	if reason := sp.place(j); reason != "" {
		sp.drop(j)
		return reason
	}
	return ""
}

// fits reports whether w would be placed now, changing nothing.
func (p *Planner) fits(sp *space, w *Workload) bool {
	if p.attempt(sp, w, true) != "" {
		return false
	}
	sp.dropJob(&p.job)
	return true
}

// commitJob takes the room of the job attempt placed and returns its placement: a
// gang of units has taken the room of its required units already, and places its
// optional ones now.
func (sp *space) commitJob(j *job) []workload.PodPlacement {
	if len(j.w.Units) == 0 {
		return sp.commit(j)
	}
	sp.placeOptional(j)
	return sp.takenPlacement(j)
}

// dropJob gives back what attempt placed for the job.
func (sp *space) dropJob(j *job) {
	if len(j.w.Units) == 0 {
		sp.drop(j)
		return
	}
	sp.giveBack(j, 0)
}
