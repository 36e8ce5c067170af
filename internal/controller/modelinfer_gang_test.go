package controller

import (
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/workload"
)

// ranksOf lists the ranks of a placement in order.
func ranksOf(pl []workload.PodPlacement) []int {
	out := make([]int, len(pl))
	for i, p := range pl {
		out[i] = p.Rank
	}
	return out
}

// TestModelInferMinRoleReplicas: a group of 3 instances of which 2 must fit starts
// with the 2 that fit beside a job holding a node, saying 1 instance waits, and
// places it once the job is stopped.
func TestModelInferMinRoleReplicas(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // two nodes of 16 cpus; an instance is 2 pods of 4 cpus
	blocker := e.submit("blocker", "sleep 600", func(s *apiv1.WorkloadSpec) { s.Resource.CPU = "16" })
	e.waitFor(blocker, "Running", phaseIs(apiv1.PhaseRunning))
	id := e.submitInferWith("llm", 1, "4", func(s *apiv1.ModelInferSpec) {
		three := 3
		s.Template.Roles[0].Replicas = &three
		s.Template.GangSchedule = &apiv1.GangSchedule{MinRoleReplicas: map[string]int{"serve": 2}}
	})
	w := e.waitFor(id, "Running with 2 of its 3 instances", func(w *workload.Workload) bool {
		_, available := workload.InferGroups(w)
		return w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Placement) == 4 && available == 1 &&
			strings.HasPrefix(w.Status.Message, "1 of 3 instances of inference group 0 wait for room (admitted one by one, each once its minRoleReplicas fit): ")
	})
	if got := ranksOf(w.Status.Placement); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("ranks %v placed, want the first two instances, 0 to 3", got)
	}
	e.change(blocker, func(w *workload.Workload) bool { return workload.Stop(w, "tester", false, time.Now()) })
	w = e.waitFor(id, "Running with its 3 instances", func(w *workload.Workload) bool {
		_, available := workload.InferGroups(w)
		return len(w.Status.Placement) == 6 && w.Status.Message == "" && available == 1 && w.Status.DispatchCount == 1
	})
	if got := ranksOf(w.Status.Placement); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("ranks %v placed, want all six", got)
	}
}

// labelRacks puts node-1 and node-2 in the given racks of tier 1.
func (e *env) labelRacks(rack1, rack2 string) {
	e.t.Helper()
	for name, r := range map[string]string{"node-1": rack1, "node-2": rack2} {
		e.changeNode(name, func(n *inventory.Node) {
			n.Labels = map[string]string{workload.HostnameLabel: name, workload.NetworkTierLabel(1): r}
		})
	}
}

// TestModelInferNetworkTopology: a group bigger than a node, each node its own rack,
// waits in hard mode saying why, and runs once both nodes are in one rack; in soft
// mode it runs across the racks.
func TestModelInferNetworkTopology(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{apiv1.NetworkTopologyHard, apiv1.NetworkTopologySoft} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.labelRacks("a", "b")
			id := e.submitInferWith("llm", 1, "10", func(s *apiv1.ModelInferSpec) { // 2 pods of 10 cpus
				s.Template.GangSchedule = &apiv1.GangSchedule{NetworkTopology: &apiv1.NetworkTopologySpec{Mode: mode}}
			})
			if mode == apiv1.NetworkTopologySoft {
				e.waitFor(id, "Running across the racks", func(w *workload.Workload) bool {
					return w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Placement) == 2
				})
				return
			}
			want := "1 of 1 inference groups wait for room (admitted one by one, each all or nothing): " +
				"Network topology (hard): no domain of berth.dev/network-tier-1 has room for the 2 pods; the roomiest, berth.dev/network-tier-1=a, has room for 1"
			e.waitFor(id, "waiting for a rack with room", func(w *workload.Workload) bool {
				return w.Status.Phase == apiv1.PhasePending && w.Status.Message == want
			})
			x, ok := e.ctrl.Explain(id)
			if !ok || !strings.Contains(strings.Join(x.Reasons, "\n"), "network topology (hard): 2 domains of berth.dev/network-tier-1") {
				t.Errorf("Explain = %+v, %v; want the domains it looked at", x, ok)
			}
			e.labelRacks("a", "a")
			w := e.waitFor(id, "Running within rack a", func(w *workload.Workload) bool {
				return w.Status.Phase == apiv1.PhaseRunning && len(w.Status.Placement) == 2
			})
			if w.Status.Placement[0].Node == w.Status.Placement[1].Node {
				t.Errorf("placement %+v: 20 cpus cannot be on one node of 16", w.Status.Placement)
			}
		})
	}
}

// TestModelInferPodsHoldTheirOwnRequests: a group of a 12-cpu entry pod and a 4-cpu
// worker fills one 16-cpu node, so two groups run on two nodes, each pod holding
// what it asked for rather than the largest pod's request.
func TestModelInferPodsHoldTheirOwnRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submitInferWith("llm", 2, "12", func(s *apiv1.ModelInferSpec) {
		worker := *s.Template.Roles[0].WorkerTemplate
		worker.Spec.Containers = slices.Clone(worker.Spec.Containers)
		worker.Spec.Containers[0].Resources.Requests = map[string]string{"cpu": "4", "memory": "1Gi"}
		s.Template.Roles[0].WorkerTemplate = &worker
	})
	w := e.waitFor(id, "Running with both groups", func(w *workload.Workload) bool {
		_, available := workload.InferGroups(w)
		return w.Status.Phase == apiv1.PhaseRunning && available == 2 && w.Status.Message == ""
	})
	pl := w.Status.Placement
	if pl[0].Node != pl[1].Node || pl[2].Node != pl[3].Node || pl[0].Node == pl[2].Node {
		t.Errorf("placement %+v: want each group on a node of its own", pl)
	}
	if pl[0].Request != nil || pl[1].Request == nil || pl[1].Request.MilliCPU != 4000 {
		t.Errorf("requests held %v, %v: want the entry pod's the workload's, the worker's its own 4 cpus", pl[0].Request, pl[1].Request)
	}
}

// TestModelInferRestOfGroupStaysInItsDomain: in hard mode a group started at its
// minRoleReplicas within rack a places its other instance within rack a too: it waits
// while only rack b has room, and goes once node-2 joins rack a.
func TestModelInferRestOfGroupStaysInItsDomain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.labelRacks("a", "b")
	id := e.submitInferWith("llm", 1, "4", func(s *apiv1.ModelInferSpec) { // an instance: 2 pods of 4 cpus
		three := 3
		s.Template.Roles[0].Replicas = &three
		s.Template.GangSchedule = &apiv1.GangSchedule{MinRoleReplicas: map[string]int{"serve": 2},
			NetworkTopology: &apiv1.NetworkTopologySpec{Mode: apiv1.NetworkTopologyHard}}
	})
	want := "1 of 3 instances of inference group 0 wait for room (admitted one by one, each once its minRoleReplicas fit): " +
		"Network topology (hard): no domain of berth.dev/network-tier-1 has room for the 2 pods; the roomiest, berth.dev/network-tier-1=a, has room for 0"
	w := e.waitFor(id, "running 2 instances in rack a, the third waiting for room there", func(w *workload.Workload) bool {
		return len(w.Status.Placement) == 4 && w.Status.Message == want
	})
	for _, p := range w.Status.Placement {
		if p.Node != "node-1" {
			t.Errorf("placement %+v: want the first two instances on node-1, rack a", w.Status.Placement)
			break
		}
	}
	e.labelRacks("a", "a")
	w = e.waitFor(id, "its third instance placed in rack a", func(w *workload.Workload) bool {
		return len(w.Status.Placement) == 6 && w.Status.Message == ""
	})
	if got := w.Status.Placement[4].Node; got != "node-2" {
		t.Errorf("third instance on %s, want node-2", got)
	}
}

// TestGroupsWait: the message of a ModelInfer whose groups wait says how many groups,
// and how many instances of a group started at its minRoleReplicas, wait.
func TestGroupsWait(t *testing.T) {
	t.Parallel()
	two, three := 2, 3
	spec := apiv1.ModelInferSpec{Replicas: &two, Template: apiv1.InferGroup{Roles: []apiv1.Role{{Name: "serve", Replicas: &three}}}}
	w := &workload.Workload{Spec: workload.ModelInferWorkloadSpec("ws", &spec), Infer: &workload.Infer{Spec: spec}}
	if got, want := groupsWait(w, "why"), "2 of 2 inference groups wait for room (admitted one by one, each all or nothing): why"; got != want {
		t.Errorf("none placed: %q, want %q", got, want)
	}
	w.Infer.Spec.Template.GangSchedule = &apiv1.GangSchedule{MinRoleReplicas: map[string]int{"serve": 1}}
	w.Status.Stage = workload.StageDispatched
	w.Status.Placement = []workload.PodPlacement{{Rank: 0}}
	want := "2 of 3 instances of inference group 0 and 1 of 2 inference groups wait for room (admitted one by one, each once its minRoleReplicas fit): why"
	if got := groupsWait(w, "why"); got != want {
		t.Errorf("one instance placed: %q, want %q", got, want)
	}
}
