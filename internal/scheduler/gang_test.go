package scheduler

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

func units(us ...Unit) func(*Workload) { return func(w *Workload) { w.Units = us } }

func req(pods int) Unit { return Unit{Pods: pods} }
func opt(pods int) Unit { return Unit{Pods: pods, Optional: true} }

func topology(hard bool, tiers ...string) func(*Workload) {
	return func(w *Workload) { w.Topology = &Topology{Tiers: tiers, Hard: hard} }
}

func rack(r string) func(*Node) { return nodeLabels("rack", r) }

func rackSpine(r, s string) func(*Node) { return nodeLabels("rack", r, "spine", s) }

// holding is an admitted workload holding gpus GPUs of node n from index 0.
func holding(id, n string, gpus int) Workload {
	idx := make([]int, gpus)
	for i := range idx {
		idx[i] = i
	}
	return wl(id, 0, int64(gpus), admitted(pp(0, n, idx...)))
}

func TestScheduleTopology(t *testing.T) {
	t.Parallel()
	// Rack a: n1 with 8 free GPUs; rack b: n2 with 4 free, n3 with 8. A gang of 3 x 4
	// GPUs fits on neither node alone: without a topology it goes on n1 and n2, across
	// the racks; packed it stays within rack b.
	racks := []Node{node("n1", 8, rack("a")), node("n2", 8, rack("b")), node("n3", 8, rack("b"))}
	held := holding("held", "n2", 4)
	tiers := []Node{node("n1", 8, rackSpine("a", "s1")), node("n2", 8, rackSpine("b", "s1")), node("n3", 4, rackSpine("c", "s2"))}
	twoRacks := []Node{node("n1", 8, rack("a")), node("n2", 8, rack("b"))}
	runPlanCases(t, []planCase{
		{
			name: "without a topology a gang spans racks",
			snap: Snapshot{Nodes: racks, Workloads: []Workload{held, wl("g", 3, 4)}},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n1", 0, 1, 2, 3), pp(1, "n1", 4, 5, 6, 7), pp(2, "n2", 4, 5, 6, 7))}},
		},
		{
			name: "a gang goes within one domain where it fits",
			snap: Snapshot{Nodes: racks, Workloads: []Workload{held, wl("g", 3, 4, topology(true, "rack"))}},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n3", 0, 1, 2, 3), pp(1, "n3", 4, 5, 6, 7), pp(2, "n2", 4, 5, 6, 7))}},
		},
		{
			name: "the tightest domain that fits is taken, the roomier stays whole",
			snap: Snapshot{Nodes: racks, Workloads: []Workload{held, wl("g", 2, 4, topology(true, "rack"))}},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n1", 0, 1, 2, 3), pp(1, "n1", 4, 5, 6, 7))}},
		},
		{
			name: "a gang that fits no rack goes within one domain of the next tier",
			snap: Snapshot{Nodes: tiers, Workloads: []Workload{wl("g", 4, 4, topology(true, "rack", "spine"))}},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n1", 0, 1, 2, 3), pp(1, "n1", 4, 5, 6, 7), pp(2, "n2", 0, 1, 2, 3), pp(3, "n2", 4, 5, 6, 7))}},
		},
		{
			name: "hard: a gang that fits in no domain of its highest tier waits",
			snap: Snapshot{Nodes: twoRacks, Workloads: []Workload{wl("g", 3, 4, topology(true, "rack"))}},
			want: Plan{Pending: []Pending{pending("g", 1, "Network topology (hard): no domain of rack has room for the 3 pods; the roomiest, rack=a, has room for 2")}},
		},
		{
			name: "hard: nodes without the tier's label are no domain",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("g", 1, 1, topology(true, "rack"))}},
			want: Plan{Pending: []Pending{pending("g", 1, "Network topology (hard): no usable node has the label rack to hold the 1 pods within one domain")}},
		},
		{
			name: "soft: a gang that fits in no domain is placed on as few as hold it",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8, rack("a")), node("n2", 8, rack("b")), node("n3", 8, rack("c"))},
				Workloads: []Workload{holding("held", "n1", 4), wl("g", 3, 4, topology(false, "rack"))},
			},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n2", 0, 1, 2, 3), pp(1, "n2", 4, 5, 6, 7), pp(2, "n3", 0, 1, 2, 3))}},
		},
		{
			name: "soft: a gang goes on nodes without the label when it must",
			snap: Snapshot{Nodes: []Node{node("n1", 4, rack("a")), node("n2", 8)}, Workloads: []Workload{wl("g", 3, 4, topology(false, "rack"))}},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n2", 0, 1, 2, 3), pp(1, "n2", 4, 5, 6, 7), pp(2, "n1", 0, 1, 2, 3))}},
		},
	})
}

func TestScheduleUnits(t *testing.T) {
	t.Parallel()
	runPlanCases(t, []planCase{
		{
			name: "required units are admitted without the optional ones that do not fit",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 4)}, Workloads: []Workload{wl("g", 6, 4, units(req(2), opt(2), opt(2)))}},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n1", 0, 1, 2, 3), pp(1, "n1", 4, 5, 6, 7))}},
		},
		{
			name: "optional units are placed whole as far as room allows, keeping their ranks",
			snap: Snapshot{Nodes: []Node{node("n1", 8), node("n2", 4)}, Workloads: []Workload{wl("g", 4, 4, units(opt(1), req(2), opt(1)))}},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n2", 0, 1, 2, 3), pp(1, "n1", 0, 1, 2, 3), pp(2, "n1", 4, 5, 6, 7))}},
		},
		{
			name: "a gang whose required units do not fit waits",
			snap: Snapshot{Nodes: []Node{node("n1", 8)}, Workloads: []Workload{wl("g", 4, 4, units(req(3), opt(1)))}},
			want: Plan{Pending: []Pending{pending("g", 1, "Insufficient total gpu resources")}},
		},
		{
			name: "a gang of optional units only is admitted with the first smallest that fits",
			snap: Snapshot{Nodes: []Node{node("n1", 4)}, Workloads: []Workload{wl("g", 3, 4, units(opt(2), opt(1)))}},
			want: Plan{Admit: []Admission{admit("g", pp(2, "n1", 0, 1, 2, 3))}},
		},
		{
			name: "optional units stay within the domain of a hard topology",
			snap: Snapshot{
				Nodes:     []Node{node("n1", 8, rack("a")), node("n2", 8, rack("b"))},
				Workloads: []Workload{wl("g", 3, 4, units(req(2), opt(1)), topology(true, "rack"))},
			},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n1", 0, 1, 2, 3), pp(1, "n1", 4, 5, 6, 7))}},
		},
	})
}

// TestUnitsCompleteWhenRoomAppears: a group admitted with its required instances only
// places the rest, queued as a gang of optional units, once a node is added.
func TestUnitsCompleteWhenRoomAppears(t *testing.T) {
	t.Parallel()
	p := NewPlanner()
	p.UpsertWorkspace(Workspace{ID: "ws"})
	p.UpsertNode(node("n1", 8))
	p.UpsertWorkload(wl("g", 6, 4, units(req(2), opt(2), opt(2))))
	plan := p.Plan(now)
	if want := []Admission{admit("g", pp(0, "n1", 0, 1, 2, 3), pp(1, "n1", 4, 5, 6, 7))}; !cmp.Equal(want, plan.Admit, cmpopts.EquateEmpty()) {
		t.Fatalf("admissions %+v, want the required unit on n1", plan.Admit)
	}
	p.UpsertWorkload(wl("g", 2, 4, admitted(plan.Admit[0].Placement...)))
	rest := wl("g", 4, 4, units(opt(2), opt(2)), func(w *Workload) { w.Growth = true })
	p.UpsertWorkload(rest)
	plan = p.Plan(now)
	if len(plan.Admit) != 0 || len(plan.Pending) != 1 || !plan.Pending[0].Growth {
		t.Fatalf("plan %+v: want the rest to wait for room", plan)
	}
	if x, _ := p.Explain("g", now); !strings.Contains(strings.Join(x.Reasons, "; "), "room for 0 of 2 replicas") {
		t.Errorf("reasons %q: want the room for the 2 pods of an instance", x.Reasons)
	}
	p.UpsertNode(node("n2", 16))
	plan = p.Plan(now)
	want := []Admission{{WorkloadID: "g", Growth: true, Placement: []workload.PodPlacement{
		pp(0, "n2", 0, 1, 2, 3), pp(1, "n2", 4, 5, 6, 7), pp(2, "n2", 8, 9, 10, 11), pp(3, "n2", 12, 13, 14, 15)}}}
	if diff := cmp.Diff(want, plan.Admit, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("once n2 is added (-want +got):\n%s", diff)
	}
}

// TestExplainTopology: a hard gang that fits in no domain says how much room the
// roomiest has.
func TestExplainTopology(t *testing.T) {
	t.Parallel()
	p := NewPlanner()
	p.UpsertWorkspace(Workspace{ID: "ws"})
	p.UpsertNode(node("n1", 8, rack("a")))
	p.UpsertNode(node("n2", 8, rack("b")))
	p.UpsertWorkload(wl("g", 3, 4, topology(true, "rack")))
	p.Plan(now)
	x, ok := p.Explain("g", now)
	want := "network topology (hard): 2 domains of rack; the roomiest, a, has room for 2 of the 3 pods that must go together"
	if !ok || !strings.HasPrefix(x.Message, "Network topology (hard)") || !strings.Contains(strings.Join(x.Reasons, "\n"), want) {
		t.Errorf("Explain = %+v; want the message and the reason %q", x, want)
	}
}

func cpu(milli int64) resource.List { return resource.List{MilliCPU: milli} }

// TestUnitsHoldTheirOwnRequests: each pod of a gang of units is placed and held with
// its own request, not the largest pod's.
func TestUnitsHoldTheirOwnRequests(t *testing.T) {
	t.Parallel()
	small := cpu(4000)
	instance := Unit{Pods: 3, Requests: []resource.List{cpu(8000), small, small}} // an entry pod and 2 workers
	runPlanCases(t, []planCase{
		{
			name: "an entry pod and its smaller workers fill a node the largest pod's request thrice would not fit",
			snap: Snapshot{Nodes: []Node{node("n1", 0, nodeCPU(16000))}, Workloads: []Workload{wl("g", 3, 0, perPod(cpu(8000)), units(instance))}},
			want: Plan{Admit: []Admission{admit("g", pp(0, "n1"), ppReq(1, "n1", small), ppReq(2, "n1", small))}},
		},
		{
			name: "a placed pod holds its own request",
			snap: Snapshot{Nodes: []Node{node("n1", 0, nodeCPU(16000))}, Workloads: []Workload{
				wl("g", 1, 0, perPod(cpu(8000)), admitted(ppReq(0, "n1", small))), wl("job", 1, 0, perPod(cpu(12000)))}},
			want: Plan{Admit: []Admission{admit("job", pp(0, "n1"))}},
		},
	})
}

func ppReq(rank int, node string, req resource.List, gpus ...int) workload.PodPlacement {
	pl := pp(rank, node, gpus...)
	pl.Request = &req
	return pl
}
