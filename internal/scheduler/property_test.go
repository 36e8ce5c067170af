package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
	"github.com/google/go-cmp/cmp"
)

// TestScheduleProperties checks the planner's invariants over thousands of random
// snapshots of varied sizes.
func TestScheduleProperties(t *testing.T) {
	t.Parallel()
	const runs = 3000
	for seed := range uint64(runs) {
		s := randomSnapshot(rand.New(rand.NewPCG(seed, 42)))
		again := randomSnapshot(rand.New(rand.NewPCG(seed, 42)))
		plan := Schedule(s, now)
		if diff := cmp.Diff(again, s); diff != "" {
			t.Fatalf("seed %d: Schedule modified the snapshot (-before +after):\n%s", seed, diff)
		}
		if diff := cmp.Diff(plan, Schedule(again, now)); diff != "" {
			t.Fatalf("seed %d: Schedule is not deterministic (-first +second):\n%s", seed, diff)
		}
		for _, err := range newChecker(s, plan).check() {
			t.Errorf("seed %d: %v", seed, err)
		}
		if t.Failed() {
			return
		}
	}
}

// checker finds every invariant a plan breaks.
type checker struct {
	s        *Snapshot
	plan     Plan
	errs     []error
	byID     map[string]*Workload
	nodes    map[string]*Node
	used     map[string]resource.List
	gpus     map[string]map[int]bool
	admitted map[string]bool
	fresh    map[string]resource.List // what this plan's admissions take
	// at is the clock of the plan.
	at time.Time
}

func newChecker(s *Snapshot, plan Plan) *checker {
	c := &checker{
		s: s, plan: plan, byID: map[string]*Workload{}, nodes: map[string]*Node{},
		used: map[string]resource.List{}, gpus: map[string]map[int]bool{}, admitted: map[string]bool{}, fresh: map[string]resource.List{}, at: now,
	}
	for i := range s.Workloads {
		c.byID[s.Workloads[i].ID] = &s.Workloads[i]
	}
	for i := range s.Nodes {
		c.nodes[s.Nodes[i].Name] = &s.Nodes[i]
		c.gpus[s.Nodes[i].Name] = map[int]bool{}
	}
	return c
}

func (c *checker) fail(format string, a ...any) { c.errs = append(c.errs, fmt.Errorf(format, a...)) }

func (c *checker) check() []error {
	for i := range c.s.Workloads {
		if w := &c.s.Workloads[i]; w.Admitted {
			for _, p := range w.Placement {
				c.hold(w, p)
			}
		}
	}
	for _, a := range c.plan.Admit {
		c.checkAdmission(a)
	}
	for name, u := range c.used {
		// A node that changed under its admitted workloads may be over already; only
		// a node given something new must not be.
		for _, r := range []string{resource.GPU, resource.CPU, resource.Memory, resource.EphemeralStorage} {
			if c.fresh[name].Get(r) > 0 && u.Get(r) > c.nodes[name].Capacity.Get(r) {
				c.fail("node %s over capacity in %s", name, r)
			}
		}
	}
	c.checkPending()
	c.checkPreempt()
	return c.errs
}

// hold counts a replica against its node: resources, and GPU indices given only once.
func (c *checker) hold(w *Workload, p workload.PodPlacement) {
	if c.nodes[p.Node] == nil {
		return // held on a node since removed
	}
	if !w.Admitted {
		c.fresh[p.Node] = c.fresh[p.Node].Add(w.PerPod)
	}
	c.used[p.Node] = c.used[p.Node].Add(w.PerPod)
	for _, g := range p.GPUs {
		if c.gpus[p.Node][g] {
			c.fail("gpu %d of %s given twice (workload %s)", g, p.Node, w.ID)
		}
		c.gpus[p.Node][g] = true
	}
}

func (c *checker) checkAdmission(a Admission) {
	w := c.byID[a.WorkloadID]
	if w == nil || w.Admitted || c.admitted[w.ID] {
		c.fail("admission of %q: unknown, already admitted or twice", a.WorkloadID)
		return
	}
	c.admitted[w.ID] = true
	if len(a.Placement) != w.Replica {
		c.fail("%s: %d placements for %d replicas", w.ID, len(a.Placement), w.Replica)
	}
	if w.NotBefore.After(c.at) || w.DependenciesWaiting {
		c.fail("%s admitted before its cron or dependencies", w.ID)
	}
	nodes := map[string]bool{}
	for r, p := range a.Placement {
		if msg := placementError(w, r, p, c.nodes[p.Node]); msg != "" {
			c.fail("%s rank %d: %s", w.ID, r, msg)
		}
		if w.OnePerNode && nodes[p.Node] {
			c.fail("%s rank %d: a second replica on %s of a one-per-node workload", w.ID, r, p.Node)
		}
		nodes[p.Node] = true
		c.hold(w, p)
	}
}

// placementError says what is wrong with placing rank r of w on n.
func placementError(w *Workload, r int, p workload.PodPlacement, n *Node) string {
	switch {
	case p.Rank != r:
		return fmt.Sprintf("rank %d", p.Rank)
	case n == nil || !n.Ready || n.Workspace != w.Workspace:
		return "node " + p.Node + " unknown, not ready or of another workspace"
	case n.Tainted && !w.TolerateAll:
		return "tainted node " + n.Name
	case int64(len(p.GPUs)) != w.PerPod.GPU:
		return fmt.Sprintf("%d gpus for %d", len(p.GPUs), w.PerPod.GPU)
	}
	for _, g := range p.GPUs {
		if !slices.Contains(n.GPUIndices, g) {
			return fmt.Sprintf("gpu %d not on %s", g, n.Name)
		}
	}
	for k, v := range w.CustomerLabels {
		if k == workload.HostnameLabel && !slices.Contains(strings.Fields(v), n.Name) ||
			k != workload.HostnameLabel && n.Labels[k] != v {
			return "labels do not match " + n.Name
		}
	}
	return ""
}

// checkPending checks that every queued workload not admitted has one pending entry,
// positions 1..n in queue order per workspace, and the blocking rules.
func (c *checker) checkPending() {
	balanced := map[string]bool{}
	for _, ws := range c.s.Workspaces {
		balanced[ws.ID] = ws.QueuePolicy == "balance"
	}
	for ws, q := range c.queues() {
		c.checkQueue(q, balanced[ws])
	}
	seen := map[string]int{}
	for _, p := range c.plan.Pending {
		if seen[p.WorkloadID]++; seen[p.WorkloadID] > 1 || c.admitted[p.WorkloadID] {
			c.fail("%s: pending twice or both pending and admitted", p.WorkloadID)
		}
	}
}

// queues returns the queued workloads per workspace in queue order.
func (c *checker) queues() map[string][]*Workload {
	var queued []*Workload
	for i := range c.s.Workloads {
		if !c.s.Workloads[i].Admitted {
			queued = append(queued, &c.s.Workloads[i])
		}
	}
	slices.SortFunc(queued, func(a, b *Workload) int {
		ka, kb := keyOf(a), keyOf(b)
		return queueCmp(&ka, &kb)
	})
	queues := map[string][]*Workload{}
	for _, w := range queued {
		queues[w.Workspace] = append(queues[w.Workspace], w)
	}
	return queues
}

// checkQueue checks positions and that nothing is admitted behind a workload that
// blocked the round: any in fifo, one followed by a lower priority in balance.
func (c *checker) checkQueue(q []*Workload, balanced bool) {
	want, blocked := 0, -1
	for i, w := range q {
		if c.admitted[w.ID] {
			if blocked >= 0 {
				c.fail("%s admitted after %s blocked its workspace", w.ID, q[blocked].ID)
			}
			continue
		}
		want++
		got := pendingOf(c.plan, w.ID)
		if got == nil || got.Position != want {
			c.fail("%s: pending %+v, want position %d", w.ID, got, want)
			continue
		}
		own := got.Message != MsgQueued && got.Message != MsgCron && got.Message != MsgDependency
		_, pinned := w.CustomerLabels[workload.HostnameLabel]
		stopsBalance := !pinned && i+1 < len(q) && q[i+1].Priority < w.Priority
		if blocked < 0 && own && (!balanced || stopsBalance) {
			blocked = i
		}
	}
}

func pendingOf(plan Plan, id string) *Pending {
	for i := range plan.Pending {
		if plan.Pending[i].WorkloadID == id {
			return &plan.Pending[i]
		}
	}
	return nil
}

// checkPreempt checks every victim: admitted, not yet preempted, not admitted in the
// same plan, of a preempting workspace, of strictly lower priority than its requester,
// which waits for it.
func (c *checker) checkPreempt() {
	preempting := map[string]bool{}
	for _, ws := range c.s.Workspaces {
		preempting[ws.ID] = ws.EnablePreempt
	}
	seen := map[string]bool{}
	for _, v := range c.plan.Preempt {
		w, r := c.byID[v.Victim], c.byID[v.For]
		switch {
		case w == nil || r == nil || !w.Admitted || w.Preempted || seen[w.ID]:
			c.fail("victim %+v: unknown, not admitted, already preempted or twice", v)
		case r.Priority <= w.Priority:
			c.fail("victim %s (priority %d) evicted for %s of priority %d", w.ID, w.Priority, r.ID, r.Priority)
		case w.Workspace != r.Workspace || !preempting[r.Workspace]:
			c.fail("victim %s: workspace %s does not preempt or is not %s's", w.ID, w.Workspace, r.ID)
		case pendingOf(c.plan, r.ID) == nil || pendingOf(c.plan, r.ID).Message != MsgPreempting:
			c.fail("requester %s of %s does not wait for it", r.ID, w.ID)
		}
		seen[v.Victim] = true
	}
	for _, p := range c.plan.Pending {
		if p.Message == MsgPreempting && !preempting[c.byID[p.WorkloadID].Workspace] {
			c.fail("%s waits for victims in a workspace that does not preempt", p.WorkloadID)
		}
	}
}
