package scheduler

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// view is the planner's state as a snapshot, for comparison with Schedule.
func (p *Planner) view() *Snapshot {
	s := &Snapshot{}
	for _, k := range slices.Sorted(maps.Keys(p.nodes)) {
		s.Nodes = append(s.Nodes, *p.nodes[k])
	}
	for _, k := range slices.Sorted(maps.Keys(p.workspaces)) {
		s.Workspaces = append(s.Workspaces, p.workspaces[k])
	}
	for _, k := range slices.Sorted(maps.Keys(p.workloads)) {
		s.Workloads = append(s.Workloads, p.workloads[k].w)
	}
	return s
}

// TestPlannerMatchesSchedule applies random sequences of changes to a planner and
// checks every plan against a fresh Schedule of the same state: the workspaces planned
// again get exactly Schedule's entries, the others would get no admission or victim.
func TestPlannerMatchesSchedule(t *testing.T) {
	t.Parallel()
	preemptions := 0
	for seed := range uint64(2000) {
		r := rand.New(rand.NewPCG(seed, 7))
		s := randomSnapshot(r)
		p := NewPlanner()
		load(p, s)
		clock := now
		for step := range 12 {
			if step > 0 {
				randomChanges(r, p, s, step)
				clock = clock.Add(time.Duration(r.IntN(3)) * time.Minute / 2)
			}
			view := p.view()
			replanned := map[string]bool{}
			for _, sp := range p.order {
				replanned[sp.id] = sp.due(clock)
			}
			want := Schedule(view, clock)
			ck := newChecker(view, want)
			ck.at = clock
			for _, err := range ck.check() {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			got := p.Plan(clock)
			preemptions += len(got.Preempt)
			if diff := cmp.Diff(only(view, want, replanned, t), got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("seed %d step %d: Plan() differs from Schedule (-want +got):\n%s", seed, step, diff)
			}
		}
	}
	if preemptions == 0 {
		t.Error("no sequence preempted anything")
	}
}

// only keeps the entries of the workspaces planned again, and checks that the others
// would get no admission or victim.
func only(s *Snapshot, plan Plan, replanned map[string]bool, t *testing.T) Plan {
	t.Helper()
	ws := map[string]string{}
	for _, w := range s.Workloads {
		ws[w.ID] = w.Workspace
	}
	var out Plan
	for _, a := range plan.Admit {
		if !replanned[ws[a.WorkloadID]] {
			t.Fatalf("Schedule admits %s in workspace %s, which the planner did not plan again", a.WorkloadID, ws[a.WorkloadID])
		}
		out.Admit = append(out.Admit, a)
	}
	for _, v := range plan.Preempt {
		if !replanned[ws[v.For]] {
			t.Fatalf("Schedule preempts %s in workspace %s, which the planner did not plan again", v.Victim, ws[v.For])
		}
		out.Preempt = append(out.Preempt, v)
	}
	for _, pe := range plan.Pending {
		if replanned[ws[pe.WorkloadID]] {
			out.Pending = append(out.Pending, pe)
		}
	}
	return out
}

// randomChanges applies a few random upserts and removes to p; s supplies new nodes
// and workloads.
func randomChanges(r *rand.Rand, p *Planner, s *Snapshot, step int) {
	for k := range 1 + r.IntN(3) {
		v := p.view()
		switch op := r.IntN(9); {
		case op == 0:
			p.UpsertNode(randomNode(r, r.IntN(len(s.Nodes)+2), 3))
		case op == 1 && len(v.Nodes) > 0:
			p.RemoveNode(oneOf(r, v.Nodes...).Name)
		case op == 2:
			p.UpsertWorkspace(Workspace{ID: fmt.Sprint("w", r.IntN(3)), QueuePolicy: oneOf(r, "fifo", "balance"), EnablePreempt: r.IntN(2) == 0})
		case op == 3:
			p.RemoveWorkspace(fmt.Sprint("w", r.IntN(3)))
		case op <= 5:
			w := randomQueued(r, 0, 3, len(s.Nodes))
			w.ID = fmt.Sprintf("s%02d-%d", step, k)
			w.Priority = r.IntN(4)
			p.UpsertWorkload(w)
		case len(v.Workloads) > 0:
			finish(r, p, oneOf(r, v.Workloads...))
		}
	}
}

// finish ends a workload, or requeues a preempted one the way a caller does.
func finish(r *rand.Rand, p *Planner, w Workload) {
	switch {
	case w.Preempted && r.IntN(2) == 0:
		w.Admitted, w.Preempted, w.PreemptedFor, w.Placement, w.Rescheduled = false, false, "", nil, false
		p.UpsertWorkload(w)
	case w.Admitted && r.IntN(3) == 0:
		w.Priority = 3 - w.Priority
		p.UpsertWorkload(w) // a changed admitted workload: released and held again
	default:
		p.RemoveWorkload(w.ID)
	}
}

func TestPlannerNothingChanged(t *testing.T) {
	t.Parallel()
	p := NewPlanner()
	load(p, benchSnapshot())
	if got := p.Plan(now); len(got.Admit) == 0 {
		t.Fatal("first plan admitted nothing")
	}
	if diff := cmp.Diff(Plan{}, p.Plan(now), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("second Plan() (-want +got):\n%s", diff)
	}
}

func TestPlannerCronWakesItsWorkspace(t *testing.T) {
	t.Parallel()
	p := NewPlanner()
	p.UpsertNode(node("n1", 8))
	p.UpsertWorkload(wl("a", 1, 1, cron(time.Minute)))
	steps := []struct {
		at   time.Duration
		want Plan
	}{
		{0, Plan{Pending: []Pending{pending("a", 1, MsgCron)}}},
		{30 * time.Second, Plan{}},
		{time.Minute, Plan{Admit: []Admission{admit("a", pp(0, "n1", 0))}}},
	}
	for _, st := range steps {
		if diff := cmp.Diff(st.want, p.Plan(now.Add(st.at)), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Plan() at +%s (-want +got):\n%s", st.at, diff)
		}
	}
}

func TestPlannerView(t *testing.T) {
	t.Parallel()
	s := randomSnapshot(rand.New(rand.NewPCG(3, 3)))
	p := NewPlanner()
	load(p, s)
	got := p.view()
	byID := func(a, b Workload) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(s.Workloads, byID)
	if diff := cmp.Diff(s.Workloads, got.Workloads, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("view (-want +got):\n%s", diff)
	}
}
