package scheduler

import (
	"testing"
)

func TestSchedulePlacement(t *testing.T) {
	t.Parallel()
	host := "kubernetes.io/hostname"
	runPlanCases(t, []planCase{
		{
			name: "specified nodes only",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8), node("n3", 8)}, Workloads: []Workload{wl("a", 2, 8, labels(host, "n3 n1"))}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7), pp(1, "n3", 0, 1, 2, 3, 4, 5, 6, 7))}},
		},
		{
			name: "one per node spreads a gang that would pack",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8)}, Workloads: []Workload{wl("a", 2, 1, labels(host, "n1 n2"), onePerNode)}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 0), pp(1, "n2", 0))}},
		},
		{
			name: "one per node waits for as many nodes as replicas",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8)}, Workloads: []Workload{wl("a", 3, 1, onePerNode)}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient gpu on n1 due to node fragmentation")}},
		},
		{
			name: "a preflight takes one replica per named node around what a job holds",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("n2", 8), node("n3", 8)},
				Workloads: []Workload{wl("job", 0, 6, admitted(pp(0, "n1", 0, 1, 2, 3, 4, 5))), wl("pre", 2, 2, prio(2), labels(host, "n1 n2"), onePerNode)},
			},
			want: Plan{Admit: []Admission{admit("pre", pp(0, "n1", 6, 7), pp(1, "n2", 0, 1))}},
		},
		{
			name: "a preflight waits rather than double up on a named node",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("n2", 8)},
				Workloads: []Workload{wl("job", 0, 6, admitted(pp(0, "n1", 0, 1, 2, 3, 4, 5))), wl("pre", 2, 4, prio(2), labels(host, "n1 n2"), onePerNode)},
			},
			want: Plan{Pending: []Pending{pending("pre", 1, "Insufficient gpu on n2 due to node fragmentation")}},
		},
		{
			name: "a waiting preflight leaves the room it cannot use to a balance queue",
			snap: Snapshot{
				Nodes:      []Node{node("n1", 8), node("n2", 8)},
				Workspaces: balance("ws"),
				Workloads:  []Workload{wl("job", 0, 6, admitted(pp(0, "n1", 0, 1, 2, 3, 4, 5))), wl("pre", 2, 4, prio(2), labels(host, "n1 n2"), onePerNode), wl("b", 1, 6)},
			},
			want: Plan{
				Admit:   []Admission{admit("b", pp(0, "n2", 0, 1, 2, 3, 4, 5))},
				Pending: []Pending{pending("pre", 1, "Insufficient gpu on n2 due to node fragmentation")},
			},
		},
		{
			name: "specified nodes of another workspace do not count",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("m1", 8, nodeWS("other"))}, Workloads: []Workload{wl("a", 1, 1, labels(host, "m1"))}},
			want: Plan{Pending: []Pending{pending("a", 1, MsgUnavailable+MsgLabelSuffix)}},
		},
		{
			name: "specified nodes and other labels must all match",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8, nodeLabels("zone", "a")), node("n2", 8, nodeLabels("zone", "b"))},
				Workloads: []Workload{wl("a", 1, 1, labels(host, "n1 n2", "zone", "b"))},
			},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n2", 0))}},
		},
		{
			name: "customer labels pick the node even when another is tighter",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 2, nodeLabels("zone", "a")), node("n2", 8, nodeLabels("zone", "b"))},
				Workloads: []Workload{wl("a", 1, 2, labels("zone", "b"))},
			},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n2", 0, 1))}},
		},
		{
			name: "a label the node lacks does not match an empty value",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 1, 1, labels("zone", ""))}},
			want: Plan{Pending: []Pending{pending("a", 1, MsgUnavailable+MsgLabelSuffix)}},
		},
		{
			name: "tainted and not ready nodes are no capacity",
			snap: Snapshot{Nodes: []Node{node("n1", 8, tainted), node("n2", 8, notReady)}, Workloads: []Workload{wl("a", 1, 1)}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient total gpu resources")}},
		},
		{
			name: "tolerate all uses tainted nodes, never not ready ones",
			snap: Snapshot{Nodes: []Node{node("n1", 8, tainted), node("n2", 8, notReady)}, Workloads: []Workload{wl("a", 1, 8, tolerateAll), wl("b", 1, 1, tolerateAll)}},
			want: Plan{
				Admit:   []Admission{admit("a", pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7))},
				Pending: []Pending{pending("b", 1, "Insufficient total gpu resources")},
			},
		},
		{
			name: "gpu indices skip those admitted workloads hold",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("old", 0, 2, admitted(pp(0, "n1", 0, 2))), wl("a", 3, 2)}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 1, 3), pp(1, "n1", 4, 5), pp(2, "n1", 6, 7))}},
		},
		{
			name: "gpu indices lowest first whatever the node lists",
			snap: Snapshot{Nodes: []Node{node("n1", 0, gpuIndices(7, 3, 5, 1))}, Workloads: []Workload{wl("a", 1, 1), wl("b", 1, 2)}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 1)), admit("b", pp(0, "n1", 3, 5))}},
		},
		{
			name: "several replicas share a node",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("a", 4, 2)}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 0, 1), pp(1, "n1", 2, 3), pp(2, "n1", 4, 5), pp(3, "n1", 6, 7))}},
		},
		{
			name: "cpu only replicas share a node",
			snap: Snapshot{Nodes: []Node{node("n1", 0, nodeCPU(4000))}, Workloads: []Workload{wl("a", 4, 0)}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1"), pp(1, "n1"), pp(2, "n1"), pp(3, "n1"))}},
		},
		{
			name: "a 16 gpu gang over two free 8 gpu nodes",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8)}, Workloads: []Workload{wl("a", 2, 8)}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7), pp(1, "n2", 0, 1, 2, 3, 4, 5, 6, 7))}},
		},
		{
			name: "a 16 gpu gang waits while one gpu is held",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8)}, Workloads: []Workload{wl("old", 0, 1, admitted(pp(0, "n2", 3))), wl("a", 2, 8, prio(1)), wl("b", 1, 1)}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient total gpu resources"), pending("b", 2, MsgQueued)}},
		},
		{
			name: "a 16 gpu gang is all or nothing on fragments",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("n2", 8), node("n3", 8)},
				Workloads: []Workload{wl("o2", 0, 4, admitted(pp(0, "n2", 0, 1, 2, 3))), wl("o3", 0, 4, admitted(pp(0, "n3", 4, 5, 6, 7))), wl("a", 2, 8)},
			},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient gpu on n2 due to node fragmentation")}},
		},
		{
			name: "a gang that does not fit leaves its nodes to the next workload",
			snap: Snapshot{
				Nodes:      []Node{node("n1", 8), node("n2", 8)},
				Workspaces: balance("ws"),
				Workloads:  []Workload{wl("o2", 0, 4, admitted(pp(0, "n2", 0, 1, 2, 3))), wl("a", 2, 6, prio(1)), wl("b", 1, 8, prio(1))},
			},
			want: Plan{
				Admit:   []Admission{admit("b", pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7))},
				Pending: []Pending{pending("a", 1, "Insufficient gpu on n2 due to node fragmentation")},
			},
		},
		{
			name: "sixteen one gpu replicas fill two nodes",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8)}, Workloads: []Workload{wl("a", 16, 1)}},
			want: Plan{Admit: []Admission{admit("a",
				pp(0, "n1", 0), pp(1, "n1", 1), pp(2, "n1", 2), pp(3, "n1", 3), pp(4, "n1", 4), pp(5, "n1", 5), pp(6, "n1", 6), pp(7, "n1", 7),
				pp(8, "n2", 0), pp(9, "n2", 1), pp(10, "n2", 2), pp(11, "n2", 3), pp(12, "n2", 4), pp(13, "n2", 5), pp(14, "n2", 6), pp(15, "n2", 7),
			)}},
		},
		{
			name: "best fit keeps whole nodes whole",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("n2", 8), node("n3", 8)},
				Workloads: []Workload{wl("o2", 0, 6, admitted(pp(0, "n2", 0, 1, 2, 3, 4, 5))), wl("o3", 0, 7, admitted(pp(0, "n3", 0, 1, 2, 3, 4, 5, 6))), wl("a", 1, 2, prio(2)), wl("b", 1, 1, prio(1)), wl("c", 1, 8)},
			},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n2", 6, 7)), admit("b", pp(0, "n3", 7)), admit("c", pp(0, "n1", 0, 1, 2, 3, 4, 5, 6, 7))}},
		},
		{
			name: "a gang prefers one node to two fragments",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("n2", 8)},
				Workloads: []Workload{wl("o2", 0, 4, admitted(pp(0, "n2", 0, 1, 2, 3))), wl("a", 2, 4)},
			},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 0, 1, 2, 3), pp(1, "n1", 4, 5, 6, 7))}},
		},
		{
			name: "a gang too big for one node takes the roomiest, then fills a hole",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8), node("n2", 8)},
				Workloads: []Workload{wl("o2", 0, 4, admitted(pp(0, "n2", 0, 1, 2, 3))), wl("a", 3, 4)},
			},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 0, 1, 2, 3), pp(1, "n1", 4, 5, 6, 7), pp(2, "n2", 4, 5, 6, 7))}},
		},
		{
			name: "least free cpu breaks a gpu tie",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8, nodeCPU(8000))}, Workloads: []Workload{wl("a", 1, 1)}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n2", 0))}},
		},
		{
			name: "least free cpu breaks a tie between roomiest nodes",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 8, nodeCPU(16000)), node("n3", 8)}, Workloads: []Workload{wl("a", 2, 8)}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n2", 0, 1, 2, 3, 4, 5, 6, 7), pp(1, "n1", 0, 1, 2, 3, 4, 5, 6, 7))}},
		},
		{
			name: "admitted workloads hold cpu too",
			snap: Snapshot{Nodes: []Node{node("n1", 8, nodeCPU(4000))}, Workloads: []Workload{wl("old", 0, 0, admitted(pp(0, "n1"), pp(1, "n1"), pp(2, "n1"))), wl("a", 2, 0)}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient total cpu resources")}},
		},
		{
			name: "resources taken by an admission stay taken for the round",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workspaces: balance("ws"), Workloads: []Workload{wl("a", 1, 6, prio(1)), wl("b", 1, 4, prio(1)), wl("c", 1, 2, prio(1))}},
			want: Plan{Admit: []Admission{admit("a", pp(0, "n1", 0, 1, 2, 3, 4, 5)), admit("c", pp(0, "n1", 6, 7))}, Pending: []Pending{pending("b", 1, "Insufficient total gpu resources")}},
		},
		{
			name: "a node offers no more gpus than it has indices",
			snap: Snapshot{Nodes: []Node{node("n1", 2, func(n *Node) { n.Capacity.GPU = 8 })}, Workloads: []Workload{wl("a", 1, 4)}},
			want: Plan{Pending: []Pending{pending("a", 1, "Insufficient total gpu resources")}},
		},
	})
}
