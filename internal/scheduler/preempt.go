package scheduler

import (
	"cmp"
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/resource"
)

// roundState is what one round computes at most once: the workspace's admitted
// workloads as preemption candidates.
type roundState struct {
	built bool
	// stopping are the preempted workloads, still holding their resources; cands the
	// others in victim order (priority ascending, score descending, newest, ID).
	stopping, cands []victim
	// poolTaken: a requester of this round counted the preempted workloads nobody
	// claims as free, so no later one may.
	poolTaken bool
	// failed is the highest priority of a requester that found no victims, fresh the
	// lowest of a workload admitted in the round. Those admitted are no victims in the
	// round that admits them; if one has a lower priority than a requester that found
	// none, the workspace stays due, for the next round may find it one.
	failed, fresh int
	// reserved is what waiting requesters will take, held for the rest of the round on
	// top of what their victims still hold, so that no later workload of the round
	// takes it and forces more victims once they are gone.
	reserved []reservation
}

// reservation is room a waiting requester will take on node i.
type reservation struct {
	i    int32
	take resource.List
}

// victim is an admitted workload and what it holds.
type victim struct {
	e     *entry
	total resource.List
	score float64
}

// buildVictims lists the workspace's admitted workloads, except those admitted in this
// plan, in victim order.
func (p *Planner) buildVictims(sp *space) {
	rs := &p.round
	rs.built = true
	for _, e := range sp.admitted {
		if e.seq == p.seq {
			continue
		}
		v := victim{e: e, total: e.w.held()}
		v.score = sp.score(v.total)
		if e.w.Preempted {
			rs.stopping = append(rs.stopping, v)
		} else {
			rs.cands = append(rs.cands, v)
		}
	}
	slices.SortFunc(rs.stopping, victimCmp)
	slices.SortFunc(rs.cands, victimCmp)
}

// score is the preemption score of a request: gpu×10 plus memory and cpu in units of
// the workspace's mean node capacity (behaviour §5.5, the flavor being the mean node).
func (sp *space) score(l resource.List) float64 {
	s := float64(l.GPU) * 10
	if sp.avgMemory > 0 {
		s += float64(l.Memory) / sp.avgMemory
	}
	if sp.avgCPU > 0 {
		s += float64(l.MilliCPU) / sp.avgCPU
	}
	return s
}

func victimCmp(a, b victim) int {
	if c := cmp.Compare(a.e.w.Priority, b.e.w.Priority); c != 0 {
		return c
	}
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	if c := b.e.w.Created.Compare(a.e.w.Created); c != 0 {
		return c
	}
	return strings.Compare(a.e.w.ID, b.e.w.ID)
}

// preempt looks for room for e, whose quota or placement check failed. What preempted
// workloads it may claim (its own victims; those nobody claims, if no earlier requester
// of the round took them) counts as free; then lower-priority candidates are added in
// victim order until the whole gang could be placed. It reports whether e should wait
// for victims to stop; new victims go into the plan. If nothing makes e fit, nobody
// is evicted.
func (p *Planner) preempt(sp *space, e *entry) bool {
	if !p.round.built {
		p.buildVictims(sp)
	}
	claimed, pool := p.claimed(sp, e)
	walk := p.walk(e.w.Priority, nil)
	n, ok := p.prefix(sp, &e.w, claimed, walk)
	if !ok {
		p.round.failed = max(p.round.failed, e.w.Priority)
		return false
	}
	p.round.poolTaken = p.round.poolTaken || pool
	p.reserve(sp, &e.w, claimed, walk[:n])
	for _, v := range walk[:n] {
		v.e.w.Preempted, v.e.w.PreemptedFor = true, e.w.ID
		p.round.stopping = append(p.round.stopping, v)
		p.plan.Preempt = append(p.plan.Preempt, Preemption{Victim: v.e.id, For: e.id})
	}
	return true
}

// claimed returns the preempted workloads of lower priority that count as free for e,
// and whether any of them is claimed by nobody.
func (p *Planner) claimed(sp *space, e *entry) ([]victim, bool) {
	var out []victim
	pool := false
	for _, v := range p.round.stopping {
		if v.e.w.Priority >= e.w.Priority {
			continue
		}
		switch {
		case v.e.w.PreemptedFor == e.w.ID:
			out = append(out, v)
		case !p.round.poolTaken && !p.waiting(sp, v.e.w.PreemptedFor):
			out, pool = append(out, v), true
		}
	}
	return out, pool
}

// waiting reports whether id is a queued workload of sp, one a victim can be claimed by.
func (p *Planner) waiting(sp *space, id string) bool {
	r := p.workloads[id]
	return r != nil && r.sp == sp && !r.w.Admitted
}

// walk returns the candidates not yet preempted with a priority below prio, in victim
// order, appended to dst.
func (p *Planner) walk(prio int, dst []victim) []victim {
	for _, v := range p.round.cands {
		if v.e.w.Priority >= prio {
			break
		}
		if !v.e.w.Preempted {
			dst = append(dst, v)
		}
	}
	return dst
}

// prefix finds the shortest prefix of walk that, freed together with base, lets w be
// placed; ok is false when even all of it does not. Nothing changes: what is freed for
// a trial is taken back. A sum of what is freed bounds the quota, so nodes are only
// touched once the total could fit.
func (p *Planner) prefix(sp *space, w *Workload, base, walk []victim) (n int, ok bool) {
	need := minNeed(w)
	bound := sp.sumClean.Add(sp.sumTainted)
	for _, v := range base {
		bound = bound.Add(v.total)
	}
	freed := 0
	defer func() {
		for _, v := range base {
			p.trial(sp, v.e, true)
		}
		for _, v := range walk[:freed] {
			p.trial(sp, v.e, true)
		}
	}()
	for _, v := range base {
		p.trial(sp, v.e, false)
	}
	for n = 0; n <= len(walk); n++ {
		if n > 0 {
			bound = bound.Add(walk[n-1].total)
		}
		if fit, _ := need.Fits(bound); !fit || n == 0 && len(base) == 0 {
			continue
		}
		for ; freed < n; freed++ {
			p.trial(sp, walk[freed].e, false)
		}
		if p.fits(sp, w) {
			return n, true
		}
	}
	return 0, false
}

// trial takes (or gives back) what e holds on the nodes of sp, for a trial only: the
// space is not marked for planning.
func (p *Planner) trial(sp *space, e *entry, take bool) {
	for _, pl := range e.w.Placement {
		if ref, ok := p.names[pl.Node]; ok && ref.sp == sp {
			sp.change(ref.i, e.w.holds(&pl), pl.GPUs, take)
		}
	}
}

// reserve finds where w would go with the victims gone and takes that room for the
// rest of the round, the victims still holding theirs.
func (p *Planner) reserve(sp *space, w *Workload, claimed, victims []victim) {
	for _, v := range claimed {
		p.trial(sp, v.e, false)
	}
	for _, v := range victims {
		p.trial(sp, v.e, false)
	}
	var res []reservation
	if p.attempt(sp, w, true) == "" {
		for _, pk := range p.job.picks {
			res = append(res, reservation{i: pk.node, take: w.PerPod.Scale(pk.count)})
		}
		for _, t := range p.job.taken {
			res = append(res, reservation{i: t.node, take: t.req})
		}
		sp.dropJob(&p.job)
	}
	for _, v := range claimed {
		p.trial(sp, v.e, true)
	}
	for _, v := range victims {
		p.trial(sp, v.e, true)
	}
	for _, r := range res {
		sp.change(r.i, r.take, nil, true)
	}
	p.round.reserved = append(p.round.reserved, res...)
}

// unreserve gives back what waiting requesters reserved in the round.
func (p *Planner) unreserve(sp *space) {
	for _, r := range p.round.reserved {
		sp.change(r.i, r.take, nil, false)
	}
}
