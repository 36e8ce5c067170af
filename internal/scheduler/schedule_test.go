package scheduler

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/google/go-cmp/cmp"
)

// TestScheduleQueueOrder holds every workload back with a future cron, which never
// blocks, so the pending list is the queue in order.
func TestScheduleQueueOrder(t *testing.T) {
	t.Parallel()
	c := cron(time.Hour)
	tests := []struct {
		name      string
		workloads []Workload
		want      []string
	}{
		{"rescheduled first", []Workload{wl("a", 1, 0, c, prio(9)), wl("b", 1, 0, c, rescheduled)}, []string{"b", "a"}},
		{"dependencies last", []Workload{wl("a", 1, 0, c, prio(9), depsWaiting), wl("b", 1, 0, c)}, []string{"b", "a"}},
		{"rescheduled before dependencies", []Workload{wl("a", 1, 0, c, depsWaiting, rescheduled), wl("b", 1, 0, c, prio(9))}, []string{"a", "b"}},
		{"priority descending", []Workload{wl("a", 1, 0, c, prio(1)), wl("b", 1, 0, c, prio(5)), wl("c", 1, 0, c, prio(3))}, []string{"b", "c", "a"}},
		{"creation ascending", []Workload{wl("a", 1, 0, c, created(-time.Minute)), wl("b", 1, 0, c, created(-time.Hour))}, []string{"b", "a"}},
		{"id ascending", []Workload{wl("b", 1, 0, c), wl("a", 1, 0, c), wl("c", 1, 0, c)}, []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan := Schedule(&Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: tc.workloads}, now)
			var got []string
			for i, p := range plan.Pending {
				if p.Position != i+1 || p.Message != MsgCron {
					t.Errorf("pending %d = %+v, want position %d and the cron message", i, p, i+1)
				}
				got = append(got, p.WorkloadID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("queue order mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScheduleBlocking(t *testing.T) {
	t.Parallel()
	one := []Node{node("n1", 8)}
	big := wl("big", 1, 16, prio(5)) // never fits one 8-GPU node
	quota := "Insufficient total gpu resources"
	runPlanCases(t, []planCase{
		{
			name: "fifo stops at the first blocked workload",
			snap: Snapshot{Nodes: one, Workspaces: []Workspace{{ID: "ws", QueuePolicy: "fifo"}}, Workloads: []Workload{big, wl("small", 1, 1, prio(5))}},
			want: Plan{Pending: []Pending{pending("big", 1, quota), pending("small", 2, MsgQueued)}},
		},
		{
			name: "an empty policy is fifo",
			snap: Snapshot{Nodes: one, Workspaces: []Workspace{{ID: "ws"}}, Workloads: []Workload{big, wl("small", 1, 1, prio(5))}},
			want: Plan{Pending: []Pending{pending("big", 1, quota), pending("small", 2, MsgQueued)}},
		},
		{
			name: "a workspace missing from the snapshot is fifo",
			snap: Snapshot{Nodes: one, Workloads: []Workload{big, wl("small", 1, 1, prio(5))}},
			want: Plan{Pending: []Pending{pending("big", 1, quota), pending("small", 2, MsgQueued)}},
		},
		{
			name: "balance goes on past an equal priority",
			snap: Snapshot{Nodes: one, Workspaces: balance("ws"), Workloads: []Workload{big, wl("small", 1, 1, prio(5))}},
			want: Plan{Admit: []Admission{admit("small", pp(0, "n1", 0))}, Pending: []Pending{pending("big", 1, quota)}},
		},
		{
			name: "balance stops before a lower priority",
			snap: Snapshot{Nodes: one, Workspaces: balance("ws"), Workloads: []Workload{big, wl("small", 1, 1, prio(4))}},
			want: Plan{Pending: []Pending{pending("big", 1, quota), pending("small", 2, MsgQueued)}},
		},
		{
			name: "balance goes on past equals, then stops before a lower priority",
			snap: Snapshot{Nodes: one, Workspaces: balance("ws"), Workloads: []Workload{
				big, wl("big2", 1, 9, prio(5), created(0)), wl("low", 1, 1, prio(1)),
			}},
			want: Plan{Pending: []Pending{pending("big", 1, quota), pending("big2", 2, quota), pending("low", 3, MsgQueued)}},
		},
		{
			name: "balance goes on after a workload pinned to hosts",
			snap: Snapshot{Nodes: one, Workspaces: balance("ws"), Workloads: []Workload{
				wl("pinned", 1, 1, prio(5), labels("kubernetes.io/hostname", "n9")), wl("low", 1, 1, prio(1)),
			}},
			want: Plan{
				Admit:   []Admission{admit("low", pp(0, "n1", 0))},
				Pending: []Pending{pending("pinned", 1, MsgUnavailable+MsgLabelSuffix)},
			},
		},
		{
			name: "fifo stops even after a workload pinned to hosts",
			snap: Snapshot{Nodes: one, Workloads: []Workload{
				wl("pinned", 1, 1, prio(5), labels("kubernetes.io/hostname", "n9")), wl("low", 1, 1, prio(1)),
			}},
			want: Plan{Pending: []Pending{pending("pinned", 1, MsgUnavailable+MsgLabelSuffix), pending("low", 2, MsgQueued)}},
		},
		{
			name: "fifo goes on after a cron or a dependency",
			snap: Snapshot{Nodes: one, Workloads: []Workload{
				wl("cron", 1, 1, prio(9), cron(time.Minute)), wl("deps", 1, 1, prio(9), depsWaiting), wl("low", 1, 1, prio(1)),
			}},
			want: Plan{
				Admit:   []Admission{admit("low", pp(0, "n1", 0))},
				Pending: []Pending{pending("cron", 1, MsgCron), pending("deps", 2, MsgDependency)},
			},
		},
		{
			name: "workspaces are planned independently, in ID order",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("m1", 8, nodeWS("other"))},
				Workloads: []Workload{wl("y", 1, 8, wlWS("ws")), big, wl("x", 1, 8, wlWS("other"))},
			},
			want: Plan{
				Admit:   []Admission{admit("x", pp(0, "m1", 0, 1, 2, 3, 4, 5, 6, 7))},
				Pending: []Pending{pending("big", 1, quota), pending("y", 2, MsgQueued)},
			},
		},
	})
}

func TestScheduleMessages(t *testing.T) {
	t.Parallel()
	held := func(id, n string, gpus ...int) Workload {
		return wl(id, 0, int64(len(gpus)), admitted(pp(0, n, gpus...)))
	}
	runPlanCases(t, []planCase{
		{
			name: "cron in the future",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 1, 1, cron(time.Second))}},
			want: Plan{Pending: []Pending{pending("a", 1, "The Execution time has not been reached")}},
		},
		{
			name: "cron due now",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 1, 1, cron(0))}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 0))}},
		},
		{
			name: "dependencies",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 1, 1, depsWaiting)}},
			want: Plan{Pending: []Pending{pending("a", 1, "Dependency cannot be satisfied")}},
		},
		{
			name: "total gpu",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 3, 3)}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient total gpu resources")}},
		},
		{
			name: "total cpu",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 2, 0, perPod(resource.List{MilliCPU: 40000}))}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient total cpu resources")}},
		},
		{
			name: "total memory",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 1, 0, perPod(resource.List{Memory: 513 * gi}))}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient total memory resources")}},
		},
		{
			name: "total ephemeral storage",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 1, 0, perPod(resource.List{EphemeralStorage: 2048 * gi}))}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient total ephemeral-storage resources")}},
		},
		{
			name: "no usable node",
			snap: Snapshot{Nodes: []Node{node("n1", 8, tainted)}, Workloads: []Workload{wl("a", 1, 0, perPod(resource.List{}))}},
			want: Plan{Pending: []Pending{pending("a", 1, "All nodes are unavailable")}},
		},
		{
			name: "no node matches the labels",
			snap: Snapshot{Nodes: []Node{node("n1", 8, nodeLabels("zone", "a"))}, Workloads: []Workload{wl("a", 1, 1, labels("zone", "b"))}},
			want: Plan{Pending: []Pending{pending("a", 1, "All nodes are unavailable or not enough nodes match the specified label.")}},
		},
		{
			name: "fragmented gpus name the roomiest node",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("n2", 8)},
				Workloads: []Workload{held("h1", "n1", 0, 1, 2, 3, 4, 5), held("h2", "n2", 0, 1), wl("a", 1, 8)},
			},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient gpu on n2 due to node fragmentation")}},
		},
		{
			name: "fragmented ties name the first node by name",
			snap: Snapshot{
				Nodes:     []Node{node("n2", 8), node("n1", 8)},
				Workloads: []Workload{held("h1", "n1", 0, 1, 2, 3), held("h2", "n2", 0, 1, 2, 3), wl("a", 1, 8)},
			},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient gpu on n1 due to node fragmentation")}},
		},
		{
			name: "fragmented cpu",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8, nodeCPU(4000)), node("n2", 8, nodeCPU(4000))},
				Workloads: []Workload{wl("a", 1, 0, perPod(resource.List{MilliCPU: 6000}))},
			},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient cpu on n1 due to node fragmentation")}},
		},
		{
			name: "fragmented after earlier replicas of the gang",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("n2", 8)},
				Workloads: []Workload{held("h2", "n2", 0, 1, 2, 3), wl("a", 2, 6)},
			},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient gpu on n2 due to node fragmentation")}},
		},
	})
}

func TestSchedulePositions(t *testing.T) {
	t.Parallel()
	runPlanCases(t, []planCase{{
		name: "admitted workloads get no position, the rest count from 1",
		snap: Snapshot{
			Nodes: []Node{node("n1", 8)},
			Workloads: []Workload{
				wl("a", 1, 4, prio(9)), wl("b", 1, 1, prio(8), cron(time.Hour)), wl("c", 1, 4, prio(7)),
				wl("d", 1, 1, prio(6)), wl("e", 1, 1, prio(5)), wl("old", 1, 2, admitted()),
			},
		},
		want: Plan{
			Admit: []Admission{admit("a", pp(0, "n1", 0, 1, 2, 3)), admit("c", pp(0, "n1", 4, 5, 6, 7))},
			Pending: []Pending{
				pending("b", 1, MsgCron), pending("d", 2, "Insufficient total gpu resources"), pending("e", 3, MsgQueued),
			},
		},
	}})
}
