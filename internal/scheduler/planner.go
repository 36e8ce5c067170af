package scheduler

import (
	"slices"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Planner keeps a snapshot in memory, updated by the Upsert and Remove methods, and
// plans again only the workspaces that changed. It is not safe for concurrent use.
type Planner struct {
	nodes      map[string]*Node
	workspaces map[string]Workspace
	workloads  map[string]*entry
	spaces     map[string]*space
	// order holds the spaces by ID, the order they are planned in.
	order []*space
	// names finds a ready node by name, for placements and the hostname label.
	names map[string]nodeRef
	// nodesDirty: a node changed, so every space's nodes are rebuilt at the next plan;
	// until then holds are not tracked node by node.
	nodesDirty bool
	slab       []entry
	now        time.Time
	// seq counts plans; an entry admitted by plan seq is no victim in that plan.
	seq   uint64
	stamp uint32
	job   job
	plan  Plan
	// round is scratch of the round in progress (preemption candidates).
	round roundState
}

// entry is a workload the planner holds, with what its last round said of it. Its
// w.ID is the planner's key for it (entryKey); id is the workload's.
type entry struct {
	w   Workload
	id  string
	key queueKey
	sp  *space
	// gone: removed or replaced since; dropped from queues at the next plan.
	gone bool
	seq  uint64
	pos  int
	msg  string
}

// nodeRef finds a node of some space.
type nodeRef struct {
	sp *space
	i  int32
}

// NewPlanner returns an empty planner.
func NewPlanner() *Planner {
	return &Planner{
		nodes: map[string]*Node{}, workspaces: map[string]Workspace{}, workloads: map[string]*entry{},
		spaces: map[string]*space{}, names: map[string]nodeRef{},
	}
}

// space returns the space of a workspace ID, creating it (fifo, no preemption).
func (p *Planner) space(id string) *space {
	sp := p.spaces[id]
	if sp == nil {
		sp = &space{id: id, fifo: true, admitted: map[string]*entry{}, dirty: true}
		p.spaces[id] = sp
		i, _ := slices.BinarySearchFunc(p.order, id, func(s *space, id string) int { return strings.Compare(s.id, id) })
		p.order = slices.Insert(p.order, i, sp)
	}
	return sp
}

// UpsertNode adds or replaces a node by name.
func (p *Planner) UpsertNode(n Node) {
	p.RemoveNode(n.Name)
	p.nodes[n.Name] = &n
	p.space(n.Workspace).dirty = true
	p.nodesDirty = true
}

// RemoveNode forgets a node.
func (p *Planner) RemoveNode(name string) {
	if old := p.nodes[name]; old != nil {
		delete(p.nodes, name)
		p.space(old.Workspace).dirty = true
		p.nodesDirty = true
	}
}

// UpsertWorkspace adds or replaces a workspace's policy.
func (p *Planner) UpsertWorkspace(ws Workspace) {
	p.workspaces[ws.ID] = ws
	sp := p.space(ws.ID)
	sp.fifo, sp.preempt, sp.dirty = ws.QueuePolicy != apiv1.QueuePolicyBalance, ws.EnablePreempt, true
}

// RemoveWorkspace forgets a workspace's policy; its nodes and workloads stay, planned
// as fifo without preemption.
func (p *Planner) RemoveWorkspace(id string) {
	delete(p.workspaces, id)
	if sp := p.spaces[id]; sp != nil {
		sp.fifo, sp.preempt, sp.dirty = true, false, true
	}
}

// entryKey is the planner's key of a workload's entry, or of the entry of the
// replicas it waits to add in place (a key no workload ID can be, as none holds a '/').
func entryKey(id string, growth bool) string {
	if growth {
		return id + "/growth"
	}
	return id
}

// UpsertWorkload adds or replaces a workload, queued or admitted, by ID (its Growth
// apart from it).
func (p *Planner) UpsertWorkload(w Workload) {
	id := w.ID
	w.ID = entryKey(id, w.Growth)
	old := p.workloads[w.ID]
	if old != nil && w.Admitted && w.Preempted && w.PreemptedFor == "" {
		w.PreemptedFor = old.w.PreemptedFor // the caller confirmed our victim
	}
	if old != nil && same(&old.w, &w) {
		return // a confirmation: nothing to plan again
	}
	p.remove(w.ID)
	e := p.newEntry()
	e.w, e.id, e.sp = w, id, p.space(w.Workspace)
	e.sp.dirty = true
	p.workloads[w.ID] = e
	if w.Admitted {
		e.sp.admitted[w.ID] = e
		p.hold(e, true)
		return
	}
	e.key = keyOf(&e.w)
	e.sp.added = append(e.sp.added, e)
}

// RemoveWorkload forgets a workload and its growth; an admitted one frees what it held.
func (p *Planner) RemoveWorkload(id string) {
	p.remove(entryKey(id, false))
	p.remove(entryKey(id, true))
}

// RemoveGrowth forgets the replicas a workload waited to add in place.
func (p *Planner) RemoveGrowth(id string) { p.remove(entryKey(id, true)) }

// remove forgets an entry by its key.
func (p *Planner) remove(id string) {
	e := p.workloads[id]
	if e == nil {
		return
	}
	delete(p.workloads, id)
	e.gone, e.sp.dirty = true, true
	if e.w.Admitted {
		delete(e.sp.admitted, id)
		p.hold(e, false)
	}
}

// newEntry allocates entries in slabs.
func (p *Planner) newEntry() *entry {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]entry, 0, 256)
	}
	p.slab = append(p.slab, entry{})
	return &p.slab[len(p.slab)-1]
}

// hold takes (or gives back) an admitted workload's placement on its nodes, which may
// belong to any space; each space touched is planned again.
func (p *Planner) hold(e *entry, take bool) {
	if p.nodesDirty {
		return // the rebuild counts it
	}
	for _, pl := range e.w.Placement {
		if ref, ok := p.names[pl.Node]; ok {
			ref.sp.change(ref.i, e.w.holds(&pl), pl.GPUs, take)
			ref.sp.dirty = true
		}
	}
}

// rebuild puts every ready node in its space, sorted by name, takes off what admitted
// workloads hold, and fills the buckets.
func (p *Planner) rebuild() {
	for _, sp := range p.order {
		sp.nodes = sp.nodes[:0]
	}
	for _, n := range p.nodes {
		if n.Ready {
			sp := p.space(n.Workspace)
			sp.nodes = append(sp.nodes, newNodeState(n))
		}
	}
	clear(p.names)
	for _, sp := range p.order {
		slices.SortFunc(sp.nodes, func(a, b nodeState) int { return strings.Compare(a.node.Name, b.node.Name) })
		for i := range sp.nodes {
			p.names[sp.nodes[i].node.Name] = nodeRef{sp, int32(i)}
		}
	}
	for _, e := range p.workloads {
		if e.w.Admitted {
			for _, pl := range e.w.Placement {
				if ref, ok := p.names[pl.Node]; ok {
					n := &ref.sp.nodes[ref.i]
					n.raw = n.raw.Sub(e.w.holds(&pl))
					n.mark(pl.GPUs, 1)
				}
			}
		}
	}
	for _, sp := range p.order {
		for i := range sp.nodes {
			sp.nodes[i].refresh()
		}
		sp.index()
	}
	p.nodesDirty = false
}
