package scheduler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func preempting(policy string) []Workspace {
	return []Workspace{{ID: "ws", QueuePolicy: policy, EnablePreempt: true}}
}

func preempted(forID string) func(*Workload) {
	return func(w *Workload) { w.Preempted, w.PreemptedFor = true, forID }
}

func victims(pairs ...string) []Preemption {
	var out []Preemption
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Preemption{Victim: pairs[i], For: pairs[i+1]})
	}
	return out
}

func TestSchedulePreemption(t *testing.T) {
	t.Parallel()
	held := func(id string, p int, n string, gpus ...int) Workload {
		return wl(id, 0, int64(len(gpus)), prio(p), admitted(pp(0, n, gpus...)))
	}
	full := []Workload{held("lo0a", 0, "n1", 0, 1), held("lo0b", 0, "n1", 2, 3, 4, 5), held("lo1", 1, "n1", 6, 7)}
	quota := "Insufficient total gpu resources"
	runPlanCases(t, []planCase{
		{
			name: "lowest priority first, then the biggest",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workspaces: preempting("fifo"), Workloads: append(full, wl("r", 1, 4, prio(5)), wl("next", 1, 1, prio(5), created(0)))},
			want: Plan{Preempt: victims("lo0b", "r"), Pending: []Pending{pending("r", 1, MsgPreempting), pending("next", 2, MsgQueued)}},
		},
		{
			name: "an ops job's check waits for room rather than preempting",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workspaces: preempting("fifo"), Workloads: append(full, wl("check", 1, 4, prio(5), func(w *Workload) { w.NoPreempt = true }))},
			want: Plan{Pending: []Pending{pending("check", 1, quota)}},
		},
		{
			name: "among equals the newest first",
			snap: Snapshot{Nodes: []Node{node("n1", 4)}, Workspaces: preempting(""), Workloads: []Workload{
				held("old", 0, "n1", 0, 1), wl("new", 0, 2, prio(0), created(-time.Minute), admitted(pp(0, "n1", 2, 3))), wl("r", 1, 2, prio(1)),
			}},
			want: Plan{Preempt: victims("new", "r"), Pending: []Pending{pending("r", 1, MsgPreempting)}},
		},
		{
			name: "the first prefix that lets the gang be placed, not just fit the quota",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8)}, Workspaces: preempting(""), Workloads: []Workload{
				held("hi1", 9, "n1", 0, 1, 2, 3), held("hi2", 9, "n2", 0, 1),
				wl("loA", 0, 4, prio(0), created(0), admitted(pp(0, "n1", 4, 5, 6, 7))), held("loB", 0, "n2", 2, 3, 4, 5),
				wl("r", 1, 6, prio(5)),
			}},
			want: Plan{Preempt: victims("loA", "r", "loB", "r"), Pending: []Pending{pending("r", 1, MsgPreempting)}},
		},
		{
			name: "nobody is evicted when no prefix lets it be placed",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8)}, Workspaces: preempting(""), Workloads: []Workload{
				held("hi1", 9, "n1", 0, 1, 2, 3), held("hi2", 9, "n2", 0, 1, 2, 3),
				held("lo1", 0, "n1", 4, 5, 6, 7), held("lo2", 0, "n2", 4, 5, 6, 7), wl("r", 1, 8, prio(5)),
			}},
			want: Plan{Pending: []Pending{pending("r", 1, quota)}},
		},
		{
			name: "never an equal or higher priority",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workspaces: preempting(""), Workloads: []Workload{held("eq", 5, "n1", 0, 1, 2, 3, 4, 5, 6, 7), wl("r", 1, 1, prio(5))}},
			want: Plan{Pending: []Pending{pending("r", 1, quota)}},
		},
		{
			name: "only where the workspace enables it",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workspaces: []Workspace{{ID: "ws"}}, Workloads: append(full, wl("r", 1, 4, prio(5)))},
			want: Plan{Pending: []Pending{pending("r", 1, quota)}},
		},
		{
			name: "no second round while its victims stop",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workspaces: preempting(""), Workloads: []Workload{
				held("lo0a", 0, "n1", 0, 1), wl("lo0b", 0, 4, prio(0), admitted(pp(0, "n1", 2, 3, 4, 5)), preempted("r")), held("lo1", 1, "n1", 6, 7), wl("r", 1, 4, prio(5)),
			}},
			want: Plan{Pending: []Pending{pending("r", 1, MsgPreempting)}},
		},
		{
			name: "a victim of unknown requester goes to the first that needs it",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workspaces: preempting("balance"), Workloads: []Workload{
				wl("v", 0, 8, prio(0), admitted(pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7)), preempted("")),
				wl("r1", 1, 8, prio(5), created(-2*time.Hour)), wl("r2", 1, 8, prio(5)),
			}},
			want: Plan{Pending: []Pending{pending("r1", 1, MsgPreempting), pending("r2", 2, quota)}},
		},
		{
			name: "another requester may not count a claimed victim",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workspaces: preempting("balance"), Workloads: []Workload{
				wl("v", 0, 8, prio(0), admitted(pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7)), preempted("r2")),
				wl("r1", 1, 8, prio(5), created(-2*time.Hour)), wl("r2", 1, 8, prio(5)),
			}},
			want: Plan{Pending: []Pending{pending("r1", 1, quota), pending("r2", 2, MsgPreempting)}},
		},
	})
}

// TestPlannerPreemptionLifecycle follows a requester from choosing its victim to its
// admission once the victim is gone.
func TestPlannerPreemptionLifecycle(t *testing.T) {
	t.Parallel()
	p := NewPlanner()
	p.UpsertNode(node("n1", 8))
	p.UpsertWorkspace(preempting("fifo")[0])
	p.UpsertWorkload(wl("lo", 0, 8, admitted(pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7))))
	p.UpsertWorkload(wl("r", 1, 4, prio(5)))
	steps := []struct {
		name   string
		change func()
		want   Plan
	}{
		{"the victim is chosen", func() {}, Plan{Preempt: victims("lo", "r"), Pending: []Pending{pending("r", 1, MsgPreempting)}}},
		{"nothing changed, nothing planned", func() {}, Plan{}},
		{"the caller confirms the victim: still nothing", func() {
			p.UpsertWorkload(wl("lo", 0, 8, admitted(pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7)), preempted("")))
		}, Plan{}},
		{"a new workload does not get a second victim", func() { p.UpsertWorkload(wl("late", 1, 1, prio(1))) },
			Plan{Pending: []Pending{pending("r", 1, MsgPreempting), pending("late", 2, MsgQueued)}}},
		{"the victim is requeued: the requester starts", func() { p.UpsertWorkload(wl("lo", 1, 8)) },
			Plan{Admit: []Admission{admit("r", pp(0, "n1", 0, 1, 2, 3)), admit("late", pp(0, "n1", 4))}, Pending: []Pending{pending("lo", 1, "Insufficient total gpu resources")}}},
	}
	for _, st := range steps {
		st.change()
		if diff := cmp.Diff(st.want, p.Plan(now), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s: Plan() mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}
